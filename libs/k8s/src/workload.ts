import { Construct } from 'constructs';
import { k8s } from './k8s';
import { selectorLabels, workloadLabels } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';

/** A key of a Kubernetes Secret, for variables that carry credentials. */
export interface SecretKeyRef {
  readonly secretName: string;
  readonly key: string;
}

/** A variable's value: a literal or a Secret key (credentials are never literals). */
export type EnvValue = string | SecretKeyRef;

/** CPU and memory of one container. */
export interface ResourceSpec {
  /** @default '100m' */
  readonly cpuRequest?: string;
  /** @default '500m' */
  readonly cpuLimit?: string;
  /** @default '128Mi' */
  readonly memoryRequest?: string;
  /** @default '256Mi' */
  readonly memoryLimit?: string;
}

/** Horizontal autoscaling on CPU. */
export interface AutoscalingSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average CPU, percent of the request. */
  readonly cpuUtilization: number;
}

export interface WorkloadProps {
  /** Name of the Deployment, its pods' `app.kubernetes.io/name` and its Service(s). */
  readonly name: string;
  /** What runs (`gateway`, `writer`, …): the `app.kubernetes.io/component` label. */
  readonly component: string;
  readonly namespace: string;
  /** Full image reference (see `appImage`). */
  readonly image: string;
  /** Secret of type kubernetes.io/dockerconfigjson used to pull `image`. */
  readonly imagePullSecret: string;
  /** The container's environment, by variable name. */
  readonly env: Readonly<Record<string, EnvValue>>;
  /** Fixed replica count; ignored when `autoscaling` is set. @default 1 */
  readonly replicas?: number;
  /** CPU autoscaling (an HPA owns the replica count). @default - fixed `replicas` */
  readonly autoscaling?: AutoscalingSpec;
  /** @default - see ResourceSpec */
  readonly resources?: ResourceSpec;
  /** HTTP port: REST where there is one, `/metrics` and `/health/*` everywhere. @default 8080 */
  readonly httpPort?: number;
  /** Seconds between SIGTERM and SIGKILL; covers the preStop pause and the app's drain budget. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Seconds a terminating pod keeps serving before it gets SIGTERM (a preStop sleep). Who sends to
   * it (kube-proxy, Traefik, the relay's DNS resolution of a headless Service) learns that it is
   * terminating asynchronously; meanwhile it still serves whatever reaches it, and only then stops
   * listening and drains. @default 5
   */
  readonly preStopSeconds?: number;
}

/** Name of every workload's HTTP container and Service port (`/metrics`, `/health/*`; Prometheus keeps targets by it). */
export const HTTP_PORT_NAME = 'http';

/** What a subclass adds: its ports, probes and Services. */
interface WorkloadShape {
  readonly ports: k8s.ContainerPort[];
  readonly readinessProbe: k8s.Probe;
  readonly livenessProbe: k8s.Probe;
}

function toEnvVar([name, value]: [string, EnvValue]): k8s.EnvVar {
  if (typeof value === 'string') return { name, value };
  return { name, valueFrom: { secretKeyRef: { name: value.secretName, key: value.key } } };
}

function resourceRequirements(spec: ResourceSpec = {}): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: k8s.Quantity.fromString(spec.cpuRequest ?? '100m'),
      memory: k8s.Quantity.fromString(spec.memoryRequest ?? '128Mi'),
    },
    limits: {
      cpu: k8s.Quantity.fromString(spec.cpuLimit ?? '500m'),
      memory: k8s.Quantity.fromString(spec.memoryLimit ?? '256Mi'),
    },
  };
}

/**
 * One Oleada app: a Deployment with restricted security, probes, requests and limits, a
 * PodDisruptionBudget and, when autoscaled, a CPU HorizontalPodAutoscaler. The container runs the
 * image's default command; `/tmp` is the only writable path.
 */
export abstract class Workload extends Construct {
  readonly name: string;
  readonly namespace: string;
  /** Labels of this workload's pods, for Services and NetworkPolicies. */
  readonly podSelector: Readonly<Record<string, string>>;
  readonly httpPort: number;
  readonly deployment: k8s.KubeDeployment;
  readonly hpa?: k8s.KubeHorizontalPodAutoscalerV2;
  readonly pdb: k8s.KubePodDisruptionBudget;

  protected constructor(scope: Construct, id: string, props: WorkloadProps, shape: (httpPort: number) => WorkloadShape) {
    super(scope, id);
    this.name = props.name;
    this.namespace = props.namespace;
    this.podSelector = selectorLabels(props.name);
    this.httpPort = props.httpPort ?? 8080;
    const labels = workloadLabels(props.name, props.component);
    const { ports, readinessProbe, livenessProbe } = shape(this.httpPort);

    if (props.autoscaling && props.autoscaling.minReplicas > props.autoscaling.maxReplicas) {
      throw new Error(`${props.name}: minReplicas ${props.autoscaling.minReplicas} > maxReplicas ${props.autoscaling.maxReplicas}`);
    }

    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        // With an HPA the replica count is the autoscaler's: leaving it out keeps `kubectl apply` from resetting it.
        replicas: props.autoscaling ? undefined : (props.replicas ?? 1),
        selector: { matchLabels: this.podSelector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: [{ name: props.imagePullSecret }],
            securityContext: restrictedPodSecurityContext(),
            terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 30,
            containers: [
              {
                name: props.component,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                ports,
                env: Object.entries(props.env).map(toEnvVar),
                resources: resourceRequirements(props.resources),
                readinessProbe,
                livenessProbe,
                lifecycle: { preStop: { sleep: { seconds: props.preStopSeconds ?? 5 } } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });

    this.pdb = new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      // One pod at a time: drains proceed even for single-replica workloads, never all at once.
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.podSelector } },
    });

    if (props.autoscaling) {
      this.hpa = new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
        metadata: { name: props.name, namespace: props.namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
          minReplicas: props.autoscaling.minReplicas,
          maxReplicas: props.autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.autoscaling.cpuUtilization } },
            },
          ],
        },
      });
    }
  }
}

function httpProbe(path: string, port: number, periodSeconds: number, failureThreshold: number): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromString(HTTP_PORT_NAME) }, periodSeconds, failureThreshold, timeoutSeconds: 2 };
}

/** An app that serves HTTP (REST or only metrics/health), behind a ClusterIP Service of its name. */
export class HttpService extends Workload {
  readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id, props, (port) => ({
      ports: [{ name: HTTP_PORT_NAME, containerPort: port, protocol: 'TCP' }],
      readinessProbe: httpProbe('/health/ready', port, 5, 3),
      livenessProbe: { ...httpProbe('/health/live', port, 10, 3), initialDelaySeconds: 10 },
    }));
    this.service = new k8s.KubeService(this, 'service', {
      metadata: { name: props.name, namespace: props.namespace, labels: workloadLabels(props.name, props.component) },
      spec: {
        type: 'ClusterIP',
        selector: this.podSelector,
        ports: [{ name: HTTP_PORT_NAME, port: this.httpPort, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' }],
      },
    });
  }

  /** Base URL other pods in the namespace use, derived from the Service. */
  get url(): string {
    return `http://${this.service.name}:${this.httpPort}`;
  }
}

export interface GrpcServiceProps extends WorkloadProps {
  /** gRPC listen port. @default 50051 */
  readonly grpcPort?: number;
  /** DNS suffix of the cluster. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

/**
 * A gRPC server behind a headless Service (`<name>-headless`): DNS returns every ready pod, so
 * clients balance per call (round-robin) instead of pinning one connection to one pod. Readiness
 * uses the standard `grpc.health.v1.Health` service; liveness the HTTP `/health/live`.
 */
export class GrpcService extends Workload {
  readonly headlessService: k8s.KubeService;
  readonly grpcPort: number;
  private readonly clusterDomain: string;

  constructor(scope: Construct, id: string, props: GrpcServiceProps) {
    const grpcPort = props.grpcPort ?? 50051;
    super(scope, id, props, (port) => ({
      ports: [
        { name: 'grpc', containerPort: grpcPort, protocol: 'TCP' },
        { name: HTTP_PORT_NAME, containerPort: port, protocol: 'TCP' },
      ],
      readinessProbe: { grpc: { port: grpcPort }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
      // Liveness is the process, not the broker: gRPC health turns NOT_SERVING while Kafka is away.
      livenessProbe: { ...httpProbe('/health/live', port, 10, 3), initialDelaySeconds: 10 },
    }));
    this.grpcPort = grpcPort;
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.headlessService = new k8s.KubeService(this, 'headless', {
      metadata: { name: `${props.name}-headless`, namespace: props.namespace, labels: workloadLabels(props.name, props.component) },
      spec: {
        clusterIp: 'None',
        selector: this.podSelector,
        ports: [
          { name: 'grpc', port: grpcPort, targetPort: k8s.IntOrString.fromString('grpc'), protocol: 'TCP', appProtocol: 'grpc' },
          { name: HTTP_PORT_NAME, port: this.httpPort, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' },
        ],
      },
    });
  }

  /** gRPC target resolving to every pod: `dns:///<name>-headless.<ns>.svc.<domain>:<port>`. */
  get target(): string {
    return `dns:///${this.headlessService.name}.${this.namespace}.svc.${this.clusterDomain}:${this.grpcPort}`;
  }
}
