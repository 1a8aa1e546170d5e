import { it } from 'node:test';
import type { RabbitMQFaultStack } from '../rabbitmq-stack';
import { brokerOutage } from './broker-outage';
import { consumerKills } from './crashes';
import { shutdownTests } from './shutdown';

/**
 * The RabbitMQ path through the same faults as Kafka's: the node killed outright (its quorum
 * queues recover from their log; publisher confirms decide what a 202 promised), and the consumer
 * killed with deliveries it never acked (the broker redelivers them; the dedup skips the applied).
 */
export function rabbitmqTests(rabbit: RabbitMQFaultStack): void {
  it('RabbitMQ killed with SIGKILL for 10 s under load: 503 and never 2xx while down, then recovers on the same data', () =>
    brokerOutage(rabbit, '10-rabbitmq-kill', 'RabbitMQ path (weather): the RabbitMQ node killed', rabbit.rabbitmq, 'SIGKILL'));

  it('kill -9 of the RabbitMQ consumer three times mid-stream: every accepted event counted once', () =>
    consumerKills(rabbit, '11-rabbitmq-consumer-kill', 'RabbitMQ path (weather): consumer killed with SIGKILL 3× mid-stream, restarted each time', 4500));

  shutdownTests(rabbit, 'z-shutdown-rabbitmq', 'RabbitMQ stack, after its faults');
}
