import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
}

/** Creates missing topics (local mode and tests; Strimzi KafkaTopics do it in Kubernetes). */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[], replicationFactor = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
