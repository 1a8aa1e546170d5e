import { CompressionTypes, Partitioners, type ICustomPartitioner, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import { MicroBatcher, RetriableError } from '@oleada/shared';
import type { EventPublisher, OutgoingRecord } from '../publisher';

/** How long produce requests fail at once after the broker could not be reached again. */
const UNREACHABLE_PAUSE_MS = 500;
/**
 * How long after a replacement producer began connecting produce requests wait for it. A
 * replacement after a one-off failure connects well within it; while Kafka is down, connecting
 * takes kafkajs's whole retry schedule (seconds), and records fail once this has passed, so the
 * gateway's 503 is fast, while the connection attempt goes on for the records after them.
 */
const RENEW_WAIT_MS = 250;
/** Produce requests for one batch at most, when kafkajs answered without some of its partitions. */
const PRODUCE_PASSES = 3;

export interface KafkaPublisherOptions {
  /**
   * How long the first record waits for more before a produce request goes out when none is in
   * flight. 0: records published in the same event-loop turn share a request, and records that
   * arrive while one is in flight go together the moment it completes. @default 0
   */
  readonly lingerMs?: number;
  /** Most records in one produce request. @default 500 */
  readonly batchMax?: number;
  /** Called with each produce request's size and duration (seconds). */
  readonly onBatch?: (records: number, seconds: number, ok: boolean) => void;
}

/**
 * Idempotent, acks=all producer shared by every concurrent RPC of a writer. Batching is natural:
 * with no produce request in flight, what was published in the current event-loop turn (after
 * `lingerMs`, if set) goes at once; while one is in flight, records accumulate and leave together
 * (at most `batchMax` per request) as soon as it completes. Each caller's promise resolves when
 * Kafka acknowledged the request that carried its record.
 *
 * A produce request that failed may still have been written (the broker appended it, then the
 * answer was lost). kafkajs then hands that request's sequence numbers to the next records of the
 * partition, and Kafka acknowledges a batch with a known producer id and sequence as a duplicate
 * without writing it: an acknowledged record lost. So after any failure the producer is replaced
 * (a new producer id, sequences from zero) before anything else is sent, and produce requests go
 * out one at a time, so none can be caught between the failure and the replacement. The records
 * of the failed request are reported unavailable; their retry may duplicate them in Kafka, which
 * the consumer's deduplication by event id absorbs.
 *
 * kafkajs can also resolve a request without having sent part of it: when one broker's share
 * fails (its leader went away) and kafkajs retries, it sends again only to brokers that gave no
 * answer yet, so partitions whose leadership moved to a broker that already answered are skipped
 * (sendMessages' responsePerBroker is keyed by broker), and their records were acknowledged
 * without being written (seen on the cluster: a Kafka broker pod deleted, 2 events lost). The
 * partitioner notes each record's partition, and the records of a partition the answer does not
 * name are sent again — their sequence numbers were given back when that share failed, so the
 * same records get the same ones.
 */
export class KafkaPublisher implements EventPublisher {
  readonly system = 'kafka';
  private producer: Producer;
  private readonly batcher: MicroBatcher<OutgoingRecord>;
  private isConnected = false;
  /** The producer's last request failed: its sequence numbers must not be used again. */
  private stale = false;
  /** After a failed reconnection, requests fail at once until then (epoch ms), not one by one. */
  private unreachableUntil = 0;
  /** Disconnected on purpose: nothing is sent (nor a producer renewed) until connect(). */
  private closed = false;
  /** The replacement producer being connected, if any: one at a time, joined by every request. */
  private renewing: Promise<void> | undefined;
  private renewStartedAt = 0;
  /** The partition kafkajs chose for each record of the request being sent. */
  private readonly partitionOf = new WeakMap<Message, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: KafkaPublisherOptions = {},
  ) {
    this.producer = this.createProducer();
    // One produce request at a time: see the class comment.
    this.batcher = new MicroBatcher((records) => this.produce(records), {
      lingerMs: options.lingerMs ?? 0,
      maxItems: options.batchMax ?? 500,
      maxInFlight: 1,
    });
  }

  private createProducer(): Producer {
    // idempotent ⇒ acks=all and ordered retries; one request in flight per broker keeps ordering.
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Named, not left to the default: the Java client's murmur2 on the key, so a scenario's key
      // lands on the same partition from any client (and KafkaJS logs no partitioner warning).
      createPartitioner: this.notingPartitioner(Partitioners.DefaultPartitioner),
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, retries: 3, maxRetryTime: 1000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.isConnected = false;
    });
    producer.on(producer.events.CONNECT, () => {
      if (producer === this.producer) this.isConnected = true;
    });
    return producer;
  }

  /** `create`'s partitioner, noting each record's partition in partitionOf. */
  private notingPartitioner(create: ICustomPartitioner): ICustomPartitioner {
    return () => {
      const partitioner = create();
      return (args) => {
        const partition = partitioner(args);
        this.partitionOf.set(args.message, partition);
        return partition;
      };
    };
  }

  /** Starts replacing the producer, or joins the replacement under way. */
  private renew(): Promise<void> {
    if (!this.renewing) {
      this.renewStartedAt = Date.now();
      this.renewing = this.renewProducer()
        .catch((error: unknown) => {
          this.unreachableUntil = Date.now() + UNREACHABLE_PAUSE_MS;
          throw error;
        })
        .finally(() => (this.renewing = undefined));
    }
    return this.renewing;
  }

  /** A new producer (and producer id) in place of one whose last request failed. */
  private async renewProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.isConnected = false;
    void old.disconnect().catch(() => undefined);
    await this.producer.connect();
    this.isConnected = true;
    this.stale = false;
    this.logger.info('producer replaced after a failed produce request');
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (this.stale) return this.renew();
    await this.producer.connect();
    this.isConnected = true;
  }

  publish(record: OutgoingRecord): Promise<void> {
    return this.batcher.add(record);
  }

  async flush(): Promise<void> {
    await this.batcher.flush();
  }

  async disconnect(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.producer.disconnect();
    this.isConnected = false;
  }

  private async produce(records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new RetriableError('the producer is disconnected');
    if (this.stale) {
      if (Date.now() < this.unreachableUntil) {
        this.options.onBatch?.(records.length, 0, false);
        throw new RetriableError('Kafka is not reachable');
      }
      const renewal = this.renew().then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, Math.max(0, this.renewStartedAt + RENEW_WAIT_MS - Date.now()), false)));
      try {
        if (!(await Promise.race([renewal, waited]))) throw new RetriableError(`Kafka is not reachable: no connection within ${RENEW_WAIT_MS} ms`);
      } catch (error) {
        this.options.onBatch?.(records.length, 0, false);
        throw error instanceof RetriableError ? error : new RetriableError(`Kafka is not reachable: ${(error as Error).message}`, error);
      } finally {
        clearTimeout(timer);
      }
    }
    // The records go to kafkajs as they are (it reads key, value and headers, and writes nothing
    // into them): no copy per record.
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      messages.push(record as Message);
    }
    const started = process.hrtime.bigint();
    try {
      let pending = byTopic;
      for (let pass = 1; pending.size > 0; pass++) {
        if (pass > PRODUCE_PASSES) throw new Error(`Kafka's answers left out partitions ${[...pending.keys()].join(', ')} ${PRODUCE_PASSES} times`);
        const answers = await this.producer.sendBatch({
          acks: -1,
          timeout: 5000,
          compression: CompressionTypes.None,
          topicMessages: [...pending].map(([topic, messages]) => ({ topic, messages })),
        });
        pending = this.unanswered(pending, answers);
        if (pending.size > 0) this.logger.warn({ topics: [...pending.keys()], pass }, "kafkajs answered without some partitions of the request; their records are sent again");
      }
      this.options.onBatch?.(records.length, Number(process.hrtime.bigint() - started) / 1e9, true);
    } catch (error) {
      this.stale = true;
      this.options.onBatch?.(records.length, Number(process.hrtime.bigint() - started) / 1e9, false);
      this.logger.warn({ err: error, records: records.length }, 'produce request failed');
      throw new RetriableError(`Kafka did not acknowledge the records: ${(error as Error).message}`, error);
    }
  }

  /**
   * The records, by topic, whose partition the answers do not name: per record one lookup of its
   * partition and one in a set of numbers, no string built (this runs after every request).
   */
  private unanswered(sent: ReadonlyMap<string, Message[]>, answers: readonly RecordMetadata[]): Map<string, Message[]> {
    const answered = new Map<string, Set<number>>();
    for (const answer of answers) {
      let partitions = answered.get(answer.topicName);
      if (!partitions) answered.set(answer.topicName, (partitions = new Set()));
      partitions.add(answer.partition);
    }
    const left = new Map<string, Message[]>();
    for (const [topic, messages] of sent) {
      const partitions = answered.get(topic);
      const missing = partitions ? messages.filter((message) => !partitions.has(this.partitionOf.get(message)!)) : messages;
      if (missing.length > 0) left.set(topic, missing);
    }
    return left;
  }
}
