import type { AnyScenario } from '@oleada/scenarios';
import { Construct } from 'constructs';
import { volumeClaimTemplate } from './containers';
import { k8s } from './k8s';
import type { KafkaAcl, KafkaCredentials } from './kafka';
import { PART_OF } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';

export interface KafkaStatefulSetProps {
  readonly namespace: string;
  /** Cluster name: Services are named as Strimzi names them (`<name>-kafka-bootstrap`). @default 'oleada' */
  readonly name?: string;
  /** Image with the Apache Kafka jars and `run-kafka.sh` (tools/cluster/images.sh builds it). */
  readonly image: string;
  readonly imagePullSecret: string;
  readonly storage: { readonly size: string; readonly storageClass?: string };
  /** Pods allowed on the client listener (Strimzi's `networkPolicyPeers`). */
  readonly clientPodSelectors: readonly Readonly<Record<string, string>>[];
}

const KAFKA_UID = 65532;
const TOPICS_FILE = 'topics';

/**
 * Kafka without the Strimzi operator, for clusters that cannot run it (the `local` profile): one
 * KRaft node (controller + broker) as a StatefulSet, with what Strimzi would make from the same
 * `KafkaCluster` calls — the `<name>-kafka-bootstrap` Service on 9092 with SCRAM-SHA-512, SCRAM
 * users whose passwords come from Secrets named after them (key `password`), the scenario topics,
 * and the listener's NetworkPolicy. Topics and users are collected by `addScenarioTopics` and
 * `addUser`; `finish()` writes the objects. Simple ACLs are not enforced (authentication only).
 */
export class KafkaStatefulSet extends Construct {
  readonly name: string;
  readonly namespace: string;
  readonly replicas = 1;
  readonly port = 9092;
  readonly replicationFactor = 1;
  readonly minInSyncReplicas = 1;
  readonly podLabels: Readonly<Record<string, string>>;
  private readonly topics: { name: string; partitions: number }[] = [];
  private readonly users: string[] = [];
  private finished = false;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: KafkaStatefulSetProps,
  ) {
    super(scope, id);
    this.name = props.name ?? 'oleada';
    this.namespace = props.namespace;
    this.podLabels = {
      'app.kubernetes.io/name': 'kafka',
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/part-of': PART_OF,
    };
  }

  get bootstrapServers(): string {
    return `${this.name}-kafka-bootstrap:${this.port}`;
  }

  addScenarioTopics(scenario: AnyScenario, minPartitions: number): void {
    if (scenario.partitions < minPartitions) {
      throw new Error(
        `scenario ${scenario.name}: ${scenario.partitions} partitions < ${minPartitions} (the consumer's maximum replicas); raise its partitions`,
      );
    }
    for (const topic of [...scenario.topics, scenario.deadLetterTopic]) this.topics.push({ name: topic, partitions: scenario.partitions });
  }

  /** A SCRAM-SHA-512 user; its password is the `password` key of the Secret named after it. */
  addUser(name: string, _acls: readonly KafkaAcl[]): KafkaCredentials {
    this.users.push(name);
    return { mechanism: 'scram-sha-512', username: name, password: { secretName: name, key: 'password' } };
  }

  /** Writes the Services, the topic list, the StatefulSet and the listener's NetworkPolicy. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { namespace } = this;
    const labels = { ...this.podLabels };
    const brokers = `${this.name}-kafka-brokers`;
    const topics = new k8s.KubeConfigMap(this, 'topics', {
      metadata: { name: `${this.name}-kafka-topics`, namespace, labels },
      data: { [TOPICS_FILE]: this.topics.map((t) => `${t.name} ${t.partitions}`).join('\n') + '\n' },
    });
    new k8s.KubeService(this, 'bootstrap', {
      metadata: { name: `${this.name}-kafka-bootstrap`, namespace, labels },
      spec: { selector: { ...this.podLabels }, ports: [{ name: 'scram', port: this.port, targetPort: k8s.IntOrString.fromNumber(this.port), protocol: 'TCP' }] },
    });
    new k8s.KubeService(this, 'brokers', {
      metadata: { name: brokers, namespace, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: { ...this.podLabels },
        ports: [{ name: 'scram', port: this.port, targetPort: k8s.IntOrString.fromNumber(this.port), protocol: 'TCP' }],
      },
    });
    const ready: k8s.Probe = { exec: { command: ['test', '-f', '/tmp/kafka/ready'] }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 };
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: `${this.name}-kafka`, namespace, labels },
      spec: {
        serviceName: brokers,
        replicas: this.replicas,
        selector: { matchLabels: { ...this.podLabels } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: [{ name: this.props.imagePullSecret }],
            securityContext: restrictedPodSecurityContext(KAFKA_UID),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'kafka',
                image: this.props.image,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'KAFKA_ADVERTISED_HOST', value: `$(POD_NAME).${brokers}.${namespace}.svc` },
                  { name: 'KAFKA_HEAP_OPTS', value: '-Xms256m -Xmx640m' },
                ],
                ports: [{ name: 'scram', containerPort: this.port, protocol: 'TCP' }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('1Gi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('1Gi') },
                },
                startupProbe: { ...ready, periodSeconds: 2, failureThreshold: 90 },
                readinessProbe: ready,
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(this.port) }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/kafka' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'topics', mountPath: '/etc/kafka/topics', readOnly: true },
                  ...this.users.map((user) => ({ name: `user-${user}`, mountPath: `/etc/kafka/users/${user}`, readOnly: true })),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              { name: 'topics', configMap: { name: topics.name, defaultMode: 0o444 } },
              ...this.users.map((user) => ({ name: `user-${user}`, secret: { secretName: user, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } })),
            ],
          },
        },
        volumeClaimTemplates: [volumeClaimTemplate({ name: 'data', labels, storageClass: this.props.storage.storageClass, size: this.props.storage.size })],
      },
    });
    // What Strimzi makes from the listener's networkPolicyPeers: only the named clients reach 9092.
    new k8s.KubeNetworkPolicy(this, 'listener-policy', {
      metadata: { name: `${this.name}-kafka-network-policy`, namespace, labels },
      spec: {
        podSelector: { matchLabels: { ...this.podLabels } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: this.props.clientPodSelectors.map((matchLabels) => ({ podSelector: { matchLabels: { ...matchLabels } } })),
            ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(this.port) }],
          },
        ],
      },
    });
  }
}
