import type { AnyScenario } from '@oleada/scenarios';
import { Construct } from 'constructs';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaNodePoolSpecStorageVolumesKraftMetadata,
  KafkaNodePoolSpecStorageVolumesType,
  KafkaSpecEntityOperatorTopicOperatorResourcesLimits as TopicOperatorLimits,
  KafkaSpecEntityOperatorTopicOperatorResourcesRequests as TopicOperatorRequests,
  KafkaSpecEntityOperatorUserOperatorResourcesLimits as UserOperatorLimits,
  KafkaSpecEntityOperatorUserOperatorResourcesRequests as UserOperatorRequests,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaTopic,
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
} from './imports/kafka.strimzi.io';
import { PART_OF } from './labels';
import { pinned } from './versions';
import type { SecretKeyRef } from './workload';

/** The Kafka version Strimzi 1.2 runs by default (and local mode runs from Maven Central), pinned in versions.json. */
export const KAFKA_VERSION = pinned('kafka').version;

/** Pod and container security of Strimzi-managed pods (Strimzi mounts `/tmp`, so the root can be read-only). */
const STRIMZI_POD_SECURITY = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 0 };
const STRIMZI_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * Replicas per partition and `min.insync.replicas` for a pool of `nodes` (3 and 2 when there are
 * enough nodes), and the broker settings that follow from them; the Strimzi cluster and the
 * standalone StatefulSet both take them from here.
 */
export function kafkaReplication(nodes: number) {
  const replicationFactor = Math.min(3, nodes);
  const minInSyncReplicas = replicationFactor >= 3 ? 2 : 1;
  return {
    replicationFactor,
    minInSyncReplicas,
    brokerConfig: {
      'auto.create.topics.enable': false,
      'default.replication.factor': replicationFactor,
      'min.insync.replicas': minInSyncReplicas,
      'offsets.topic.replication.factor': replicationFactor,
      'transaction.state.log.replication.factor': replicationFactor,
      'transaction.state.log.min.isr': minInSyncReplicas,
    },
  } as const;
}

export interface KafkaClusterProps {
  readonly namespace: string;
  /** Name of the Kafka resource; Strimzi derives every Service and Secret from it. @default 'oleada' */
  readonly name?: string;
  /** @default KAFKA_VERSION */
  readonly version?: string;
  /** Nodes in the KRaft pool; each is both controller and broker. @default 3 */
  readonly replicas?: number;
  /** Persistent volume per node (also holds the KRaft metadata log). */
  readonly storage: { readonly size: string; readonly storageClass?: string };
  /** @default 500m/2Gi requests, 2 CPU/2Gi limits */
  readonly resources?: { readonly cpuRequest?: string; readonly cpuLimit?: string; readonly memory?: string };
  /** Pod selectors allowed on the client listener; Strimzi turns them into the listener's NetworkPolicy. */
  readonly clientPodSelectors: readonly Readonly<Record<string, string>>[];
}

/** What a client needs to reach Kafka as a SCRAM user. */
export interface KafkaCredentials {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: SecretKeyRef;
}

/**
 * A Strimzi Kafka cluster in KRaft mode (one KafkaNodePool of combined controller/broker nodes),
 * with one internal SCRAM-SHA-512 listener, simple ACL authorization, and the entity operator that
 * turns `KafkaTopic` and `KafkaUser` resources into topics and credentials.
 */
export class KafkaCluster extends Construct {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly kafka: Kafka;
  readonly nodePool: KafkaNodePool;
  /** Client listener port (the `scram` listener). */
  readonly port = 9092;
  /** Replicas per partition: 3 when there are enough nodes. */
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    this.name = props.name ?? 'oleada';
    this.namespace = props.namespace;
    this.replicas = props.replicas ?? 3;
    const replication = kafkaReplication(this.replicas);
    this.replicationFactor = replication.replicationFactor;
    this.minInSyncReplicas = replication.minInSyncReplicas;
    const labels = { 'app.kubernetes.io/part-of': PART_OF, 'strimzi.io/cluster': this.name };
    const memory = props.resources?.memory ?? '2Gi';
    const resources = {
      requests: { cpu: KafkaNodePoolSpecResourcesRequests.fromString(props.resources?.cpuRequest ?? '500m'), memory: KafkaNodePoolSpecResourcesRequests.fromString(memory) },
      limits: { cpu: KafkaNodePoolSpecResourcesLimits.fromString(props.resources?.cpuLimit ?? '2'), memory: KafkaNodePoolSpecResourcesLimits.fromString(memory) },
    };

    this.kafka = new Kafka(this, 'kafka', {
      metadata: { name: this.name, namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        kafka: {
          version: props.version ?? KAFKA_VERSION,
          listeners: [
            {
              name: 'scram',
              port: this.port,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: false,
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
              networkPolicyPeers: props.clientPodSelectors.map((matchLabels) => ({ podSelector: { matchLabels: { ...matchLabels } } })),
            },
          ],
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          config: { ...replication.brokerConfig },
        },
        entityOperator: {
          topicOperator: {
            resources: {
              requests: { cpu: TopicOperatorRequests.fromString('100m'), memory: TopicOperatorRequests.fromString('256Mi') },
              limits: { cpu: TopicOperatorLimits.fromString('500m'), memory: TopicOperatorLimits.fromString('512Mi') },
            },
          },
          userOperator: {
            resources: {
              requests: { cpu: UserOperatorRequests.fromString('100m'), memory: UserOperatorRequests.fromString('256Mi') },
              limits: { cpu: UserOperatorLimits.fromString('500m'), memory: UserOperatorLimits.fromString('512Mi') },
            },
          },
          template: {
            pod: { securityContext: STRIMZI_POD_SECURITY },
            topicOperatorContainer: { securityContext: STRIMZI_CONTAINER_SECURITY },
            userOperatorContainer: { securityContext: STRIMZI_CONTAINER_SECURITY },
          },
        },
      },
    });

    this.nodePool = new KafkaNodePool(this, 'pool', {
      metadata: { name: 'combined', namespace: props.namespace, labels },
      spec: {
        replicas: this.replicas,
        roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER],
        storage: {
          type: KafkaNodePoolSpecStorageType.JBOD,
          volumes: [
            {
              id: 0,
              type: KafkaNodePoolSpecStorageVolumesType.PERSISTENT_HYPHEN_CLAIM,
              size: props.storage.size,
              class: props.storage.storageClass,
              deleteClaim: false,
              kraftMetadata: KafkaNodePoolSpecStorageVolumesKraftMetadata.SHARED,
            },
          ],
        },
        resources,
        template: {
          pod: { securityContext: STRIMZI_POD_SECURITY },
          kafkaContainer: { securityContext: STRIMZI_CONTAINER_SECURITY },
          initContainer: { securityContext: STRIMZI_CONTAINER_SECURITY },
        },
      },
    });
  }

  /** `host:port` of the bootstrap Service Strimzi creates (`<cluster>-kafka-bootstrap`). */
  get bootstrapServers(): string {
    return `${this.name}-kafka-bootstrap:${this.port}`;
  }

  /** The scenario's topics and its dead-letter topic, each with the scenario's partition count. */
  addScenarioTopics(scenario: AnyScenario, minPartitions: number): KafkaTopic[] {
    if (scenario.partitions < minPartitions) {
      throw new Error(
        `scenario ${scenario.name}: ${scenario.partitions} partitions < ${minPartitions} (the consumer's maximum replicas); raise its partitions`,
      );
    }
    return [...scenario.topics, scenario.deadLetterTopic].map(
      (topic) =>
        new KafkaTopic(this, `topic-${topic}`, {
          metadata: {
            name: kubernetesName(topic),
            namespace: this.namespace,
            labels: { 'strimzi.io/cluster': this.name, 'oleada.io/scenario': scenario.name },
          },
          spec: {
            topicName: topic,
            partitions: scenario.partitions,
            replicas: this.replicationFactor,
            config: { 'min.insync.replicas': this.minInSyncReplicas },
          },
        }),
    );
  }

  /**
   * A SCRAM-SHA-512 user with the given ACLs. The User Operator generates its password into a
   * Secret named after the user (key `password`); clients reference that Secret.
   */
  addUser(name: string, acls: readonly KafkaAcl[]): KafkaCredentials {
    const user = new KafkaUser(this, `user-${name}`, {
      metadata: { name, namespace: this.namespace, labels: { 'strimzi.io/cluster': this.name } },
      spec: {
        authentication: { type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
        authorization: {
          type: KafkaUserSpecAuthorizationType.SIMPLE,
          acls: acls.map((acl) => ({
            resource: {
              type: RESOURCE[acl.resource],
              name: acl.name,
              patternType: acl.name === undefined ? undefined : KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL,
            },
            operations: acl.operations.map((op) => OPERATION[op]),
          })),
        },
      },
    });
    return { mechanism: 'scram-sha-512', username: user.name, password: { secretName: user.name, key: 'password' } };
  }
}

/** One ACL rule: operations on a topic, group or the cluster. */
export interface KafkaAcl {
  readonly resource: 'topic' | 'group' | 'cluster';
  /** Literal resource name; omitted for the cluster. */
  readonly name?: string;
  readonly operations: readonly KafkaOperation[];
}
export type KafkaOperation = 'Read' | 'Write' | 'Describe' | 'IdempotentWrite';
const OPERATION: Record<KafkaOperation, KafkaUserSpecAuthorizationAclsOperations> = {
  Read: KafkaUserSpecAuthorizationAclsOperations.READ,
  Write: KafkaUserSpecAuthorizationAclsOperations.WRITE,
  Describe: KafkaUserSpecAuthorizationAclsOperations.DESCRIBE,
  IdempotentWrite: KafkaUserSpecAuthorizationAclsOperations.IDEMPOTENT_WRITE,
};
const RESOURCE: Record<KafkaAcl['resource'], KafkaUserSpecAuthorizationAclsResourceType> = {
  topic: KafkaUserSpecAuthorizationAclsResourceType.TOPIC,
  group: KafkaUserSpecAuthorizationAclsResourceType.GROUP,
  cluster: KafkaUserSpecAuthorizationAclsResourceType.CLUSTER,
};

/** A topic name as a Kubernetes object name (lower case, `.`/`-` only); the real name stays in `topicName`. */
function kubernetesName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
}
