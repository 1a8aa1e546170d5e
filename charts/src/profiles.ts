import { KAFKA_VERSION } from '@oleada/k8s';

/** The Traefik tools/cluster/go/traefik builds (checked by local-images.spec against images.env). */
export const TRAEFIK_VERSION = 'v3.7.13';
/** The Prometheus tools/cluster/build.sh builds (checked by local-images.spec against images.env). */
export const PROMETHEUS_VERSION = 'v3.16.0';
/** The Jaeger tools/cluster/go/jaeger builds (checked by local-images.spec against images.env). */
export const JAEGER_VERSION = 'v1.76.0';

/** Where the cluster runs; each profile fixes what differs between clouds. */
export const PROFILE_NAMES = ['gke', 'eks', 'kind', 'local'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  readonly name: ProfileName;
  /** Storage class of every persistent volume (Kafka, RabbitMQ, Valkey disks). */
  readonly storageClass: string;
  /** A StorageClass the charts create when the cloud has no suitable default. @default - none */
  readonly createStorageClass?: {
    readonly provisioner: string;
    readonly parameters: Readonly<Record<string, string>>;
  };
  /** How the ingress/gateway controller is exposed, and the cloud's load balancer annotations. */
  readonly loadBalancer: {
    readonly serviceType: 'LoadBalancer' | 'NodePort';
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly kubevirt: {
    /** Nodes that can run the Valkey VMs (labelled when the node pool is created; see docs/deploy). */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Software emulation instead of KVM (`useEmulation` in the KubeVirt CR), by default. */
    readonly useEmulation: boolean;
  };
  /** KRaft nodes (controller + broker each). */
  readonly kafkaReplicas: number;
  readonly kafkaStorageSize: string;
  /** RabbitMQ's data volume. */
  readonly rabbitmqStorageSize: string;
  /**
   * A cluster that runs no operators and no managed ingress controller (the single-node cluster of
   * tools/cluster): Kafka as a KRaft StatefulSet instead of Strimzi, Valkey as StatefulSets, Traefik
   * (built here) as the Gateway API and Ingress controller on a NodePort (kube-proxy answers on
   * loopback only), images of the services from the project's registry (`${REGISTRY}/<image>`), and
   * PodSecurity `restricted` enforced.
   */
  readonly standalone?: {
    readonly kafkaImage: string;
    /** Traefik, the entry controller: its static binary alone (tools/cluster/images.sh). */
    readonly traefikImage: string;
    /** Prometheus: its static binary alone (tools/cluster/build.sh builds it, images.sh wraps it). */
    readonly prometheusImage: string;
    readonly valkeyImage: string;
    /** RabbitMQ from Debian's rabbitmq-server package (the official image's registry is out of reach there). */
    readonly rabbitmqImage: string;
    /** Jaeger all-in-one, the trace store of OLEADA_TRACING=jaeger: its static binary alone (tools/cluster/images.sh). */
    readonly jaegerImage: string;
    /**
     * CPU request of the app, Kafka, Valkey and RabbitMQ pods. One node's two cores hold the control plane's
     * pods' requests too: at the cloud profiles' 200m–250m the HPAs' added replicas and a rolling
     * update's surge pods stay Pending for `Insufficient cpu`.
     */
    readonly cpuRequest: string;
    /** NodePort of Traefik's Service: the one way in (Locust's target). */
    readonly entryNodePort: number;
    /** The cluster's pod range (tools/cluster/lib/common.sh POD_CIDR): the gateway trusts X-Forwarded-For from it. */
    readonly podCidr: string;
  };
}

/** Label of the nodes that may run KubeVirt VMs. */
export const KUBEVIRT_NODE_LABEL = 'oleada.io/kubevirt';

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  gke: {
    name: 'gke',
    // pd-balanced through the Compute Engine PD CSI driver, WaitForFirstConsumer (GKE's default class).
    storageClass: 'standard-rwo',
    // External passthrough Network Load Balancer backed by a regional backend service.
    loadBalancer: { serviceType: 'LoadBalancer', annotations: { 'cloud.google.com/l4-rbs': 'enabled' } },
    // A node pool created with --enable-nested-virtualization (Intel N2) and this label.
    kubevirt: { nodeSelector: { [KUBEVIRT_NODE_LABEL]: 'true' }, useEmulation: false },
    kafkaReplicas: 3,
    kafkaStorageSize: '20Gi',
    rabbitmqStorageSize: '10Gi',
  },
  eks: {
    name: 'eks',
    // EKS ships only gp2 through the in-tree name; gp3 through the EBS CSI driver add-on is cheaper and faster.
    storageClass: 'oleada-gp3',
    createStorageClass: { provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3', encrypted: 'true' } },
    loadBalancer: {
      serviceType: 'LoadBalancer',
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
        'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
      },
    },
    // A node group of metal instances (KVM), labelled; OLEADA_KUBEVIRT_EMULATION=true runs on ordinary nodes instead.
    kubevirt: { nodeSelector: { [KUBEVIRT_NODE_LABEL]: 'true' }, useEmulation: false },
    kafkaReplicas: 3,
    kafkaStorageSize: '20Gi',
    rabbitmqStorageSize: '10Gi',
  },
  kind: {
    name: 'kind',
    storageClass: 'standard',
    loadBalancer: { serviceType: 'NodePort', annotations: {} },
    kubevirt: { useEmulation: true },
    kafkaReplicas: 1,
    kafkaStorageSize: '5Gi',
    rabbitmqStorageSize: '5Gi',
  },
  local: {
    name: 'local',
    // Local PersistentVolumes the cluster tool makes (no dynamic provisioner on one machine).
    storageClass: 'oleada-local',
    loadBalancer: { serviceType: 'NodePort', annotations: {} },
    kubevirt: { useEmulation: true },
    // as the cloud profiles: RF 3, min.insync.replicas 2, a quorum that survives a node's loss
    kafkaReplicas: 3,
    kafkaStorageSize: '5Gi',
    rabbitmqStorageSize: '5Gi',
    // Tags as tools/cluster/images.env builds them (checked by local-images.spec).
    standalone: {
      kafkaImage: `oleada-local/kafka:${KAFKA_VERSION}`,
      traefikImage: `oleada-local/traefik:${TRAEFIK_VERSION}`,
      prometheusImage: `oleada-local/prometheus:${PROMETHEUS_VERSION}`,
      valkeyImage: 'oleada-local/valkey:8.1-trixie',
      rabbitmqImage: 'oleada-local/rabbitmq:4.0-trixie',
      jaegerImage: `oleada-local/jaeger:${JAEGER_VERSION}`,
      cpuRequest: '100m',
      entryNodePort: 30080,
      podCidr: '10.244.0.0/16',
    },
  },
};
