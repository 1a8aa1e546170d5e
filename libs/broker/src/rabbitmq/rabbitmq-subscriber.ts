import { DEFAULT_CONSUMER_BATCH_MAX } from '@oleada/shared';
import { createHash } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { BatchHandler, EventSubscriber, IncomingRecord } from '../publisher';
import { connectRabbitMQ, type RabbitMQConnectionOptions } from './rabbitmq-client';
import { assertQueues, type QueueSpec } from './topology';

export interface RabbitMQSubscriberOptions {
  readonly connection: RabbitMQConnectionOptions;
  readonly queues: readonly QueueSpec[];
  /** Unacknowledged deliveries the broker may push to this consumer, per queue. @default 1000 */
  readonly prefetch?: number;
  /** Most deliveries handed to the handler at once. @default DEFAULT_CONSUMER_BATCH_MAX.rabbitmq */
  readonly maxBatch?: number;
  /** How long a batch waits for more deliveries after its first one arrived. @default 20 */
  readonly batchWaitMs?: number;
}

function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString() : String(value);
}

/**
 * A stable position for a message, standing in for Kafka's offset (dead letters are counted once
 * per position): the message id the writer set, else a digest of the content.
 */
function positionOf(message: ConsumeMessage): string {
  const id = message.properties.messageId as unknown;
  if (typeof id === 'string' && id !== '') return id;
  return createHash('sha256').update(message.content).digest('hex').slice(0, 32);
}

/** Deliveries are tagged with the queue they came from by `consume` below. */
const QUEUE = Symbol('oleada.queue');
type TaggedMessage = ConsumeMessage & { [QUEUE]?: string };
function queueOf(message: TaggedMessage): string {
  return message[QUEUE] ?? message.fields.routingKey;
}

function recordOf(message: ConsumeMessage): IncomingRecord {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((message.properties.headers ?? {}) as Record<string, unknown>)) headers[name] = headerText(value);
  return {
    topic: queueOf(message),
    partition: 0,
    offset: positionOf(message),
    key: null,
    value: message.content,
    headers,
  };
}

/**
 * Consumes every queue on one channel with a bounded prefetch and hands the handler batches: up to
 * `maxBatch` deliveries, or what arrived within `batchWaitMs` of the first. A batch is acked (one
 * `basic.ack` with `multiple`) only after the handler resolved, i.e. after Valkey applied it; when
 * the handler fails the batch is nacked back to its queues after a back-off and redelivered (the
 * handler is idempotent, so that is safe). Lost connections are re-established.
 */
export class RabbitMQSubscriber implements EventSubscriber {
  readonly system = 'rabbitmq';
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;
  private consumerTags: string[] = [];
  private buffer: TaggedMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private processing: Promise<void> = Promise.resolve();
  private handler: BatchHandler | undefined;
  private stopping = false;
  private failures = 0;
  private reconnecting: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly options: RabbitMQSubscriberOptions,
  ) {}

  get connected(): boolean {
    return this.channel !== undefined;
  }

  async start(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    this.stopping = false;
    await this.open();
  }

  private async open(): Promise<void> {
    const connection = await connectRabbitMQ(this.options.connection);
    try {
      connection.on('error', (error: Error) => this.logger.warn({ err: error }, 'RabbitMQ connection error'));
      const channel = await connection.createChannel();
      channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'RabbitMQ channel error'));
      await assertQueues(channel, this.options.queues);
      await channel.prefetch(this.options.prefetch ?? 1000);
      this.connection = connection;
      this.channel = channel;
      this.consumerTags = [];
      for (const { queue } of this.options.queues) {
        const { consumerTag } = await channel.consume(queue, (message) => this.onDelivery(channel, queue, message), { noAck: false });
        this.consumerTags.push(consumerTag);
      }
      // Registered last: a close before this point is the caller's failure to handle.
      connection.on('close', () => this.onClosed(connection));
    } catch (error) {
      this.channel = undefined;
      this.connection = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private onDelivery(channel: Channel, queue: string, message: ConsumeMessage | null): void {
    if (message === null) {
      this.logger.warn({ queue }, 'the broker cancelled the consumer');
      return;
    }
    if (channel !== this.channel) return; // a delivery of a channel that is gone: it will be redelivered
    (message as TaggedMessage)[QUEUE] = queue;
    this.buffer.push(message);
    const maxBatch = this.options.maxBatch ?? DEFAULT_CONSUMER_BATCH_MAX.rabbitmq;
    if (this.buffer.length >= maxBatch) this.schedule(0);
    else if (this.timer === undefined) this.schedule(this.options.batchWaitMs ?? 20);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.processing = this.processing.then(() => this.drainBuffer());
    }, delayMs);
  }

  /** Handles what is buffered, batch after batch, in delivery order. */
  private async drainBuffer(): Promise<void> {
    const maxBatch = this.options.maxBatch ?? DEFAULT_CONSUMER_BATCH_MAX.rabbitmq;
    while (this.buffer.length > 0) {
      const channel = this.channel;
      if (!channel) {
        this.buffer = [];
        return;
      }
      const batch = this.buffer.splice(0, maxBatch);
      const last = batch[batch.length - 1];
      try {
        await this.handler?.(batch.map(recordOf));
        this.failures = 0;
      } catch (error) {
        this.failures++;
        const delay = Math.min(200 * 2 ** (this.failures - 1), 5000);
        this.logger.warn({ err: error, records: batch.length, retryInMs: delay }, 'batch not applied; it will be redelivered');
        await new Promise((resolve) => setTimeout(resolve, delay));
        try {
          channel.nack(last, true, true);
        } catch {
          // the channel closed meanwhile: the broker requeues the batch itself
        }
        continue;
      }
      try {
        // Delivery tags grow in delivery order on a channel, and earlier batches are settled:
        // acking up to the batch's last tag settles exactly this batch.
        channel.ack(last, true);
      } catch (error) {
        // The channel closed after Valkey applied the batch: it is redelivered and deduplicated.
        this.logger.warn({ err: error }, 'could not ack a batch');
      }
    }
  }

  private onClosed(connection: ChannelModel): void {
    if (connection !== this.connection) return;
    this.channel = undefined;
    this.connection = undefined;
    this.buffer = []; // their delivery tags died with the channel; the broker redelivers them
    if (this.stopping) return;
    this.logger.warn('RabbitMQ connection closed; reconnecting');
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  private async reconnect(): Promise<void> {
    let delay = 250;
    while (!this.stopping && !this.channel) {
      try {
        await this.open();
        this.logger.info('RabbitMQ consumer reconnected');
        return;
      } catch (error) {
        this.logger.warn({ err: error, retryInMs: delay }, 'RabbitMQ not reachable');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Stops taking deliveries, handles and acks what was already delivered, then closes. */
  async stop(): Promise<void> {
    this.stopping = true;
    const channel = this.channel;
    if (channel) {
      for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.processing = this.processing.then(() => this.drainBuffer());
    await this.processing;
    await this.reconnecting;
    const connection = this.connection;
    this.channel = undefined;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }
}
