import type { Admin } from 'kafkajs';

/** Records the group has not yet committed, summed over the partitions of `topics`. */
export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let lag = 0;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const at = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
      lag += Math.max(0, Number(end.high) - Math.max(at, 0));
    }
  }
  return lag;
}

/** Messages ready in the queues and not yet delivered to the consumer (RabbitMQ's view of lag). */
export async function queueBacklog(channel: { checkQueue(queue: string): Promise<{ messageCount: number }> }, queues: readonly string[]): Promise<number> {
  let backlog = 0;
  for (const queue of queues) backlog += (await channel.checkQueue(queue)).messageCount;
  return backlog;
}

/**
 * Polls how far the consumer is behind while a run lasts, from the broker (Kafka: committed
 * offsets against end offsets; RabbitMQ: ready messages), not from the consumer's own gauge.
 */
export class LagSampler {
  private readonly values: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<number>,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          this.values.push(await this.read());
        } catch {
          // a slow admin call under load is not worth failing the run for
        }
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<{ max: number; mean: number; samples: number }> {
    this.running = false;
    await this.loop;
    const n = this.values.length;
    return { max: n ? Math.max(...this.values) : Number.NaN, mean: n ? this.values.reduce((s, v) => s + v, 0) / n : Number.NaN, samples: n };
  }
}
