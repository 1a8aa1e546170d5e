import type { Consumer, EachBatchPayload, IHeaders, Kafka, TopicPartitionOffset } from 'kafkajs';
import { DEFAULT_CONSUMER_BATCH_MAX, MicroBatcher } from '@oleada/shared';
import type { Logger } from 'pino';
import type { BatchHandler, EventSubscriber, IncomingRecord } from '../publisher';

export interface KafkaSubscriberOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Partitions handled at the same time by this process. @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** Most records handed to the handler at once. @default DEFAULT_CONSUMER_BATCH_MAX.kafka */
  readonly maxBatch?: number;
  /** Reports how far this consumer is behind on a partition. */
  readonly onLag?: (topic: string, partition: number, lag: number) => void;
  /**
   * How long the group waits for a silent member before giving its partitions to the others.
   * A crashed consumer's partitions stall this long (kafkajs's default is 30 s). @default 10000
   */
  readonly sessionTimeoutMs?: number;
  /**
   * A fetch waits for this much data (or `maxWaitTimeInMs`): fewer, larger batches at moderate
   * rates, so fewer handler calls, Valkey calls and commits per event, for at most
   * `maxWaitTimeInMs` more before an event is counted. @default 16384
   */
  readonly minBytes?: number;
  /** Longest a fetch waits for `minBytes`. @default 50 */
  readonly maxWaitTimeInMs?: number;
}

function headersOf(headers: IHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = first === undefined ? undefined : first.toString();
  }
  return out;
}

/** kafkajs's commit shape: offsets grouped by topic. */
function byTopic(offsets: readonly TopicPartitionOffset[]): { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> } {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset });
    topics.set(topic, partitions);
  }
  return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
}

/**
 * A consumer-group member that hands whole batches to a handler and commits a batch's offsets only
 * after the handler resolved. A handler failure leaves the offsets uncommitted, so the records are
 * delivered again (the handler is idempotent, so that is safe). The batches of the partitions
 * handled at once go to the handler together, and their offsets are committed together.
 */
export class KafkaSubscriber implements EventSubscriber {
  readonly system = 'kafka';
  private readonly consumer: Consumer;
  private isConnected = false;

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: KafkaSubscriberOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      // A short session: a consumer killed with SIGKILL never leaves the group, and until its
      // session expires the group cannot finish rebalancing (every partition stalls).
      // Heartbeats at a tenth of it; a member missed by mistake only causes redeliveries, which
      // the idempotent aggregation absorbs.
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 10_000) / 10)),
      minBytes: options.minBytes ?? 16 * 1024,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 50,
      maxBytesPerPartition: 1024 * 1024,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    });
    const { CONNECT, DISCONNECT, CRASH, GROUP_JOIN } = this.consumer.events;
    this.consumer.on(CONNECT, () => (this.isConnected = true));
    this.consumer.on(GROUP_JOIN, () => (this.isConnected = true));
    this.consumer.on(DISCONNECT, () => (this.isConnected = false));
    this.consumer.on(CRASH, (event) => {
      this.isConnected = false;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async start(handler: BatchHandler): Promise<void> {
    const maxBatch = this.options.maxBatch ?? DEFAULT_CONSUMER_BATCH_MAX.kafka;
    const concurrency = this.options.partitionsConsumedConcurrently ?? 3;
    // The partitions handled at once share handler calls (one Valkey call for up to maxBatch
    // records) and offset commits (one request): kafkajs starts their batches in the same
    // event-loop turn. Full slices still go side by side, as many as there are partitions at work.
    // Each partition commits only once its own records were applied.
    const applier = new MicroBatcher<IncomingRecord[]>((slices) => handler(slices.flat()), {
      lingerMs: 0,
      maxItems: maxBatch,
      maxInFlight: concurrency,
      weight: (slice) => slice.length,
    });
    // Commits go through the batch's own commit function, not consumer.commitOffsets: kafkajs
    // drops the latter silently once stop() began, and stop() waits for running batches, so the
    // offsets of records already applied would be lost and those records read again.
    let commit: EachBatchPayload['commitOffsetsIfNecessary'] | undefined;
    const committer = new MicroBatcher<TopicPartitionOffset>((offsets) => commit!(byTopic(offsets)), {
      lingerMs: 0,
      maxItems: Number.MAX_SAFE_INTEGER,
      maxInFlight: 1,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        commit = commitOffsetsIfNecessary;
        const { topic, partition } = batch;
        for (let start = 0; start < batch.messages.length; start += maxBatch) {
          if (!isRunning() || isStale()) return;
          const slice = batch.messages.slice(start, start + maxBatch);
          const records: IncomingRecord[] = slice.map((m) => ({
            topic,
            partition,
            offset: m.offset,
            key: m.key ? m.key.toString() : null,
            value: m.value,
            headers: headersOf(m.headers),
          }));
          await applier.add(records);
          const last = slice[slice.length - 1].offset;
          await committer.add({ topic, partition, offset: (BigInt(last) + 1n).toString() });
          resolveOffset(last);
          await heartbeat();
        }
        this.options.onLag?.(topic, partition, Number(batch.offsetLag()));
      },
    });
    this.isConnected = true;
  }

  async stop(): Promise<void> {
    // disconnect() waits for the running batch to finish and its offsets to be committed.
    await this.consumer.disconnect();
    this.isConnected = false;
  }
}
