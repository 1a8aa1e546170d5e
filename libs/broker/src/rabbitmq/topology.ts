import type { Channel } from 'amqplib';

/** A durable queue the writer publishes to (named like the scenario's topic) and its dead-letter queue. */
export interface QueueSpec {
  readonly queue: string;
  readonly deadLetterQueue: string;
}

/** Exchange that routes dead-lettered messages to their queue's dead-letter queue (by name). */
export const DEAD_LETTER_EXCHANGE = 'oleada.dead-letter';
/**
 * Deliveries of one message before the queue moves it to its dead-letter queue instead of
 * redelivering it. Only a message whose batch failed this often lands there: with the subscriber's
 * back-off (up to 5 s) that is minutes of continuous failure, so an outage does not dead-letter
 * valid events, while a message that can never be handled does not loop forever.
 */
export const DELIVERY_LIMIT = 100;

/** Arguments of every event queue; writer and consumer declare them identically. */
export function queueArguments(spec: QueueSpec): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-routing-key': spec.deadLetterQueue,
    'x-delivery-limit': DELIVERY_LIMIT,
  };
}

/**
 * Declares the queues (durable quorum queues, replicated in a cluster), their dead-letter queues
 * and the dead-letter exchange. Idempotent: both writer and consumer call it on every connect.
 */
export async function assertQueues(channel: Channel, specs: readonly QueueSpec[]): Promise<void> {
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  for (const deadLetterQueue of new Set(specs.map((s) => s.deadLetterQueue))) {
    await channel.assertQueue(deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(deadLetterQueue, DEAD_LETTER_EXCHANGE, deadLetterQueue);
  }
  for (const spec of specs) {
    await channel.assertQueue(spec.queue, { durable: true, arguments: queueArguments(spec) });
  }
}
