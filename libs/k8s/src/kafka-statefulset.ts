import type { AnyScenario } from '@oleada/scenarios';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { volumeClaimTemplate } from './containers';
import { k8s } from './k8s';
import { kafkaReplication, type KafkaAcl, type KafkaCredentials } from './kafka';
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
  /** KRaft nodes, each controller and broker (a quorum of 3 tolerates one node down). @default 3 */
  readonly replicas?: number;
  /** CPU request of each node. @default '250m' */
  readonly cpuRequest?: string;
}

const KAFKA_UID = 65532;
/** The super user the nodes and the provisioning tool authenticate as (SASL PLAIN, internal listeners only); its password is the `password` key of the Secret of this name. */
export const KAFKA_ADMIN_USER = 'oleada-kafka-admin';
const REPLICATION_PORT = 9091;
const CONTROLLER_PORT = 9093;
/** Kafka's name for each ACL resource and operation (the Strimzi KafkaUser's, upper-cased with `_`). */
const ACL_RESOURCE: Record<KafkaAcl['resource'], string> = { topic: 'TOPIC', group: 'GROUP', cluster: 'CLUSTER' };
const ACL_OPERATION: Record<KafkaAcl['operations'][number], string> = { Read: 'READ', Write: 'WRITE', Describe: 'DESCRIBE', IdempotentWrite: 'IDEMPOTENT_WRITE' };

/**
 * Kafka without the Strimzi operator, for clusters that cannot run it (the `local` profile): KRaft
 * nodes (controller + broker each) as a StatefulSet, with what Strimzi would make from the same
 * `KafkaCluster` calls — the `<name>-kafka-bootstrap` Service on 9092 with SCRAM-SHA-512, SCRAM
 * users whose passwords come from Secrets named after them (key `password`), the scenario topics
 * with the same replication factor and `min.insync.replicas`, the users' ACLs enforced by
 * `StandardAuthorizer` (no access where no ACL is found), and the listener's NetworkPolicy. Topics
 * and users are collected by `addScenarioTopics` and `addUser`; `finish()` writes the objects.
 */
export class KafkaStatefulSet extends Construct {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly port = 9092;
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;
  readonly podLabels: Readonly<Record<string, string>>;
  private readonly topics: { name: string; partitions: number }[] = [];
  private readonly users: { name: string; acls: readonly KafkaAcl[] }[] = [];
  private finished = false;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: KafkaStatefulSetProps,
  ) {
    super(scope, id);
    this.name = props.name ?? 'oleada';
    this.namespace = props.namespace;
    this.replicas = props.replicas ?? 3;
    // as KafkaCluster (Strimzi) sets them
    const replication = kafkaReplication(this.replicas);
    this.replicationFactor = replication.replicationFactor;
    this.minInSyncReplicas = replication.minInSyncReplicas;
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

  /** A SCRAM-SHA-512 user with the given ACLs; its password is the `password` key of the Secret named after it. */
  addUser(name: string, acls: readonly KafkaAcl[]): KafkaCredentials {
    this.users.push({ name, acls });
    return { mechanism: 'scram-sha-512', username: name, password: { secretName: name, key: 'password' } };
  }

  /** Every node's shared `server.properties` (run-kafka.sh adds the node's id, address and the admin's JAAS lines). */
  serverProperties(): string {
    const brokers = `${this.name}-kafka-brokers`;
    const voters = Array.from({ length: this.replicas }, (_, i) => `${i}@${this.name}-kafka-${i}.${brokers}.${this.namespace}.svc:${CONTROLLER_PORT}`);
    const config: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'controller.quorum.voters': voters.join(','),
      listeners: `SCRAM://:${this.port},REPLICATION://:${REPLICATION_PORT},CONTROLLER://:${CONTROLLER_PORT}`,
      'listener.security.protocol.map': 'SCRAM:SASL_PLAINTEXT,REPLICATION:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'REPLICATION',
      // clients: SCRAM users (Strimzi's `scram` listener); nodes and the admin tool: PLAIN as the super user
      'listener.name.scram.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.scram.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.replication.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.mechanism.controller.protocol': 'PLAIN',
      // Strimzi's `simple` authorization on KRaft
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': false,
      'super.users': `User:${KAFKA_ADMIN_USER}`,
      // as KafkaCluster's config
      ...kafkaReplication(this.replicas).brokerConfig,
      'share.coordinator.state.topic.replication.factor': this.replicationFactor,
      'share.coordinator.state.topic.min.isr': this.minInSyncReplicas,
      // small nodes: few threads, a fast first rebalance
      'offsets.topic.num.partitions': 5,
      'group.initial.rebalance.delay.ms': 0,
      'num.network.threads': 2,
      'num.io.threads': 2,
      'background.threads': 2,
      'num.recovery.threads.per.data.dir': 1,
    };
    return Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  }

  /** The ACLs of every user, one `<principal> <resource type> <name> <operation>` line each, as the User Operator would create them. */
  aclLines(): string[] {
    return this.users.flatMap(({ name, acls }) =>
      acls.flatMap((acl) => acl.operations.map((op) => `User:${name} ${ACL_RESOURCE[acl.resource]} ${acl.name ?? 'kafka-cluster'} ${ACL_OPERATION[op]}`)),
    );
  }

  /** Writes the Services, the configuration (topics, ACLs), the StatefulSet and the listener's NetworkPolicy. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { namespace } = this;
    const labels = { ...this.podLabels };
    const brokers = `${this.name}-kafka-brokers`;
    const config = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${this.name}-kafka-config`, namespace, labels },
      data: {
        'server.properties': this.serverProperties(),
        topics: this.topics.map((t) => `${t.name} ${t.partitions} ${this.replicationFactor} ${this.minInSyncReplicas}`).join('\n') + '\n',
        acls: this.aclLines().join('\n') + '\n',
        // every node is formatted with the same KRaft cluster id (a UUID's 16 bytes, base64url)
        'cluster-id': createHash('sha256').update(`${namespace}/${this.name}`).digest().subarray(0, 16).toString('base64url'),
        'admin-user': KAFKA_ADMIN_USER,
      },
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
        // the quorum needs a majority of nodes up before any of them is ready
        podManagementPolicy: 'Parallel',
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
                  { name: 'KAFKA_HEAP_OPTS', value: '-Xms256m -Xmx384m' },
                ],
                ports: [
                  { name: 'scram', containerPort: this.port, protocol: 'TCP' },
                  { name: 'replication', containerPort: REPLICATION_PORT, protocol: 'TCP' },
                  { name: 'controller', containerPort: CONTROLLER_PORT, protocol: 'TCP' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(this.props.cpuRequest ?? '250m'), memory: k8s.Quantity.fromString('1Gi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('1Gi') },
                },
                startupProbe: { ...ready, periodSeconds: 2, failureThreshold: 90 },
                readinessProbe: ready,
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(this.port) }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/kafka' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'config', mountPath: '/etc/kafka/config', readOnly: true },
                  { name: 'admin', mountPath: '/etc/kafka/admin', readOnly: true },
                  ...this.users.map(({ name }) => ({ name: `user-${name}`, mountPath: `/etc/kafka/users/${name}`, readOnly: true })),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              { name: 'config', configMap: { name: config.name, defaultMode: 0o444 } },
              { name: 'admin', secret: { secretName: KAFKA_ADMIN_USER, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } },
              ...this.users.map(({ name }) => ({ name: `user-${name}`, secret: { secretName: name, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } })),
            ],
          },
        },
        volumeClaimTemplates: [volumeClaimTemplate({ name: 'data', labels, storageClass: this.props.storage.storageClass, size: this.props.storage.size })],
      },
    });
    // What Strimzi makes from the listener's networkPolicyPeers: only the named clients reach 9092;
    // the nodes reach each other's listeners (replication, the KRaft quorum, test:k8s's probe client).
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
          {
            from: [{ podSelector: { matchLabels: { ...this.podLabels } } }],
            ports: [this.port, REPLICATION_PORT, CONTROLLER_PORT].map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
          },
        ],
      },
    });
  }
}
