import { KafkaCluster, KafkaStatefulSet, type KafkaCredentials } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** The apps' SCRAM users (Strimzi KafkaUsers; the local profile's bootstrap makes their Secrets, and the StatefulSet enforces the same ACLs). */
export const KAFKA_USER_NAMES = { writer: 'oleada-writer', consumer: 'oleada-consumer' } as const;

export interface KafkaChartProps {
  /** Pods of Kafka's writers and consumer: the only clients its listener admits. */
  readonly clientPods: readonly Readonly<Record<string, string>>[];
}

/**
 * Strimzi Kafka (KRaft), the scenarios' topics and dead-letter topics, and the apps' SCRAM users;
 * on a standalone profile the same as a KRaft StatefulSet (no operator).
 */
export class KafkaChart extends Chart {
  readonly cluster: KafkaCluster | KafkaStatefulSet;
  readonly writerCredentials: KafkaCredentials;
  readonly consumerCredentials: KafkaCredentials;

  constructor(scope: Construct, id: string, config: DeployConfig, props: KafkaChartProps) {
    super(scope, id);
    const standalone = config.profile.standalone;
    this.cluster = standalone
      ? new KafkaStatefulSet(this, 'cluster', {
          namespace: config.namespaces.app,
          image: `${config.registry}/${standalone.kafkaImage}`,
          imagePullSecret: config.secrets.registry,
          replicas: config.profile.kafkaReplicas,
          cpuRequest: standalone.cpuRequest,
          storage: { size: config.profile.kafkaStorageSize, storageClass: config.profile.storageClass },
          clientPodSelectors: props.clientPods,
        })
      : new KafkaCluster(this, 'cluster', {
          namespace: config.namespaces.app,
          replicas: config.profile.kafkaReplicas,
          storage: { size: config.profile.kafkaStorageSize, storageClass: config.profile.storageClass },
          clientPodSelectors: props.clientPods,
        });
    const topics = config.scenarios.flatMap((s) => s.topics);
    const deadLetterTopics = config.scenarios.map((s) => s.deadLetterTopic);
    for (const scenario of config.scenarios) this.cluster.addScenarioTopics(scenario, config.replicas.consumer.max);

    this.writerCredentials = this.cluster.addUser(KAFKA_USER_NAMES.writer, [
      ...topics.map((name) => ({ resource: 'topic' as const, name, operations: ['Write', 'Describe'] as const })),
      { resource: 'cluster', operations: ['IdempotentWrite'] },
    ]);
    this.consumerCredentials = this.cluster.addUser(KAFKA_USER_NAMES.consumer, [
      ...topics.map((name) => ({ resource: 'topic' as const, name, operations: ['Read', 'Describe'] as const })),
      ...deadLetterTopics.map((name) => ({ resource: 'topic' as const, name, operations: ['Write', 'Describe'] as const })),
      { resource: 'group', name: config.kafkaGroupId, operations: ['Read'] },
      { resource: 'cluster', operations: ['IdempotentWrite'] },
    ]);
    if (this.cluster instanceof KafkaStatefulSet) this.cluster.finish();
  }
}
