import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { EventSubscriber, IncomingRecord } from '@oleada/broker';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER, type Logger } from '@oleada/shared';
import { consumeBatch, TRACEPARENT } from '@oleada/telemetry';
import { isObservable, lastValueFrom } from 'rxjs';

/** What tracing reads of a record: its id, trace context and acceptance time (headers). */
function traced(record: IncomingRecord) {
  return { eventId: record.headers[EVENT_ID_HEADER] ?? '', traceparent: record.headers[TRACEPARENT], acceptedAt: Number(record.headers[ACCEPTED_AT_HEADER]) || undefined };
}

export interface BrokerBatchServerOptions {
  readonly logger: Logger;
  /** What must be ready before the first batch is taken (dead-letter publisher, Valkey function). */
  readonly beforeStart?: () => Promise<void>;
}

/**
 * A Nest transport for a broker Nest has none fitting for: the subscriber hands over whole
 * batches (a Kafka fetch, or RabbitMQ deliveries), and each batch goes to the `@EventPattern`
 * handlers of its records' topics, grouped per topic. The subscriber commits offsets (or acks)
 * only once every handler resolved, so a batch is committed only after Valkey applied it; a
 * handler that fails leaves it uncommitted, to be delivered again.
 */
export class BrokerBatchServer extends Server implements CustomTransportStrategy {
  private closed = false;

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly options: BrokerBatchServerOptions,
  ) {
    super();
  }

  /** Starts consuming in the background (retrying while the broker or Valkey are not there yet). */
  listen(callback: () => void): void {
    void this.startWhenPossible();
    callback();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscriber.stop();
    this.options.logger.info('subscription stopped, offsets committed');
  }

  on(): never {
    throw new Error('the broker batch transport emits no events');
  }

  unwrap<T>(): T {
    return this.subscriber as T;
  }

  private readonly dispatch = async (records: readonly IncomingRecord[]): Promise<void> => {
    const byTopic = new Map<string, IncomingRecord[]>();
    for (const record of records) {
      const group = byTopic.get(record.topic);
      if (group) group.push(record);
      else byTopic.set(record.topic, [record]);
    }
    await Promise.all(
      [...byTopic].map(async ([topic, batch]) => {
        const handler = this.getHandlerByPattern(topic);
        if (!handler) throw new Error(`no handler for topic ${topic}`);
        // A batch span linked to each event's producer span; the handler's Valkey call is its child.
        await consumeBatch(this.subscriber.system ?? 'unknown', topic, () => batch.map(traced), async () => {
          const result: unknown = await handler(batch, new BaseRpcContext([topic]));
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        });
      }),
    );
  };

  private async startWhenPossible(): Promise<void> {
    let delay = 500;
    while (!this.closed) {
      try {
        await this.options.beforeStart?.();
        await this.subscriber.start(this.dispatch);
        this.options.logger.info('consuming');
        return;
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn({ err: error, retryInMs: delay }, 'cannot start consuming yet');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
}
