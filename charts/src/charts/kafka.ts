import { KafkaCluster, type KafkaCredentials } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

export interface KafkaChartProps {
  /** Pods of Kafka's writers and consumer: the only clients its listener admits. */
  readonly clientPods: readonly Readonly<Record<string, string>>[];
}

/** Strimzi Kafka (KRaft), the scenarios' topics and dead-letter topics, and the apps' SCRAM users. */
export class KafkaChart extends Chart {
  readonly cluster: KafkaCluster;
  readonly writerCredentials: KafkaCredentials;
  readonly consumerCredentials: KafkaCredentials;

  constructor(scope: Construct, id: string, config: DeployConfig, props: KafkaChartProps) {
    super(scope, id);
    this.cluster = new KafkaCluster(this, 'cluster', {
      namespace: config.namespaces.app,
      replicas: config.profile.kafkaReplicas,
      storage: { size: config.profile.kafkaStorageSize, storageClass: config.profile.storageClass },
      clientPodSelectors: props.clientPods,
    });
    const topics = config.scenarios.flatMap((s) => s.topics);
    const deadLetterTopics = config.scenarios.map((s) => s.deadLetterTopic);
    for (const scenario of config.scenarios) this.cluster.addScenarioTopics(scenario, config.replicas.consumer.max);

    this.writerCredentials = this.cluster.addUser('oleada-writer', [
      ...topics.map((name) => ({ resource: 'topic' as const, name, operations: ['Write', 'Describe'] as const })),
      { resource: 'cluster', operations: ['IdempotentWrite'] },
    ]);
    this.consumerCredentials = this.cluster.addUser('oleada-consumer', [
      ...topics.map((name) => ({ resource: 'topic' as const, name, operations: ['Read', 'Describe'] as const })),
      ...deadLetterTopics.map((name) => ({ resource: 'topic' as const, name, operations: ['Write', 'Describe'] as const })),
      { resource: 'group', name: config.kafkaGroupId, operations: ['Read'] },
      { resource: 'cluster', operations: ['IdempotentWrite'] },
    ]);
  }
}
