import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Logger } from 'pino';
import { EVENT_ID_HEADER, MicroBatcher, RetriableError } from '@oleada/shared';
import type { EventPublisher, OutgoingRecord } from '../publisher';
import { connectRabbitMQ, type RabbitMQConnectionOptions } from './rabbitmq-client';
import { assertQueues, type QueueSpec } from './topology';

export interface RabbitMQPublisherOptions {
  readonly connection: RabbitMQConnectionOptions;
  /** Queues declared on connect; a record's `topic` names its queue. */
  readonly queues: readonly QueueSpec[];
  /** How long a batch waits for more records. @default 5 */
  readonly lingerMs?: number;
  /** Most records in one batch. @default 500 */
  readonly batchMax?: number;
  /** Called with each batch's size and duration (seconds) until every record was confirmed. */
  readonly onBatch?: (records: number, seconds: number, ok: boolean) => void;
}

/**
 * Publishes persistent messages on a confirm channel shared by every concurrent RPC of a writer.
 * Records are collected for at most `lingerMs` and written together; each caller's promise
 * resolves when the broker confirmed its message (for a quorum queue: once a majority of its
 * replicas wrote it). `mandatory` makes an unroutable message (its queue is gone) a failure
 * instead of a silent drop.
 */
export class RabbitMQPublisher implements EventPublisher {
  readonly system = 'rabbitmq';
  private readonly batcher: MicroBatcher<OutgoingRecord>;
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  /** `queue|messageId` of messages the broker returned as unroutable (how many), until their confirms arrive. */
  private readonly returned = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly options: RabbitMQPublisherOptions,
  ) {
    this.batcher = new MicroBatcher((records) => this.send(records), {
      lingerMs: options.lingerMs ?? 5,
      maxItems: options.batchMax ?? 500,
    });
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  async connect(): Promise<void> {
    if (this.channel) return;
    const connection = await connectRabbitMQ(this.options.connection);
    try {
      connection.on('error', (error: Error) => this.logger.warn({ err: error }, 'RabbitMQ connection error'));
      connection.on('close', () => this.dropChannel());
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'RabbitMQ channel error'));
      channel.on('close', () => this.dropChannel());
      channel.on('return', (message: Message) => {
        const key = returnKey(message.fields.routingKey, message.properties.messageId);
        this.returned.set(key, (this.returned.get(key) ?? 0) + 1);
      });
      await assertQueues(channel, this.options.queues);
      this.connection = connection;
      this.channel = channel;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  publish(record: OutgoingRecord): Promise<void> {
    return this.batcher.add(record);
  }

  async flush(): Promise<void> {
    await this.batcher.flush();
  }

  async disconnect(): Promise<void> {
    await this.flush();
    const connection = this.connection;
    this.dropChannel();
    await connection?.close().catch(() => undefined);
  }

  private dropChannel(): void {
    this.channel = undefined;
    this.connection = undefined;
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const channel = this.channel;
      if (!channel) throw new Error('not connected');
      await Promise.all(records.map((record) => this.publishOne(channel, record)));
      this.options.onBatch?.(records.length, seconds(), true);
    } catch (error) {
      this.options.onBatch?.(records.length, seconds(), false);
      this.logger.warn({ err: error, records: records.length }, 'publish batch failed');
      throw new RetriableError(`RabbitMQ did not confirm the records: ${(error as Error).message}`, error);
    }
  }

  private publishOne(channel: ConfirmChannel, record: OutgoingRecord): Promise<void> {
    const messageId = record.headers[EVENT_ID_HEADER] ?? record.key;
    const key = returnKey(record.topic, messageId);
    return new Promise((resolve, reject) => {
      // A full write buffer (publish returning false) still queues the message; the confirm
      // callback is what tells whether it was made durable.
      channel.publish(
        '',
        record.topic,
        record.value,
        { persistent: true, mandatory: true, messageId, headers: { ...record.headers }, contentType: 'application/x-protobuf', timestamp: Date.now() },
        (error: unknown) => {
          // The broker sends basic.return before the confirm of the same message.
          const returns = this.returned.get(key) ?? 0;
          if (returns > 1) this.returned.set(key, returns - 1);
          else this.returned.delete(key);
          const unroutable = returns > 0;
          if (error) reject(error instanceof Error ? error : new Error(`broker refused the message (nack)`));
          else if (unroutable) reject(new Error(`no queue ${record.topic}: the message was returned`));
          else resolve();
        },
      );
    });
  }
}

function returnKey(queue: string, messageId: unknown): string {
  return `${queue}|${String(messageId)}`;
}
