import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { RetriableError } from '@oleada/shared';
import { MicroBatcher } from '../micro-batcher';
import type { EventPublisher, OutgoingRecord } from '../publisher';

export interface KafkaPublisherOptions {
  /** How long a produce request waits for more records. @default 5 */
  readonly lingerMs?: number;
  /** Most records in one produce request. @default 500 */
  readonly batchMax?: number;
  /** Called with each produce request's size and duration (seconds). */
  readonly onBatch?: (records: number, seconds: number, ok: boolean) => void;
}

/**
 * Idempotent, acks=all producer shared by every concurrent RPC of a writer. Records wait at most
 * `lingerMs` to join one produce request; each caller's promise resolves when Kafka acknowledged
 * the request that carried its record.
 */
export class KafkaPublisher implements EventPublisher {
  private readonly producer: Producer;
  private readonly batcher: MicroBatcher<OutgoingRecord>;
  private isConnected = false;

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: KafkaPublisherOptions = {},
  ) {
    // idempotent ⇒ acks=all and ordered retries; one request in flight per broker keeps ordering.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, retries: 3, maxRetryTime: 1000 },
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.isConnected = false;
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.isConnected = true;
    });
    this.batcher = new MicroBatcher((records) => this.send(records), {
      lingerMs: options.lingerMs ?? 5,
      maxItems: options.batchMax ?? 500,
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
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
    await this.producer.disconnect();
    this.isConnected = false;
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Record<string, string> }>>();
    for (const record of records) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      messages.push({ key: record.key, value: record.value, headers: { ...record.headers } });
    }
    const started = process.hrtime.bigint();
    try {
      await this.producer.sendBatch({
        acks: -1,
        timeout: 5000,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      this.options.onBatch?.(records.length, Number(process.hrtime.bigint() - started) / 1e9, true);
    } catch (error) {
      this.options.onBatch?.(records.length, Number(process.hrtime.bigint() - started) / 1e9, false);
      this.logger.warn({ err: error, records: records.length }, 'produce request failed');
      throw new RetriableError(`Kafka did not acknowledge the records: ${(error as Error).message}`, error);
    }
  }
}
