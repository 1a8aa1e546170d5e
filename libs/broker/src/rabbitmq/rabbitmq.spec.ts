import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChannelModel } from 'amqplib';
import { createLogger, RetriableError, until } from '@oleada/shared';
import type { IncomingRecord } from '../publisher';
import { connectRabbitMQ, rabbitConnectOptions, type RabbitMQConnectionOptions } from './rabbitmq-client';
import { RabbitMQPublisher } from './rabbitmq-publisher';
import { RabbitMQSubscriber } from './rabbitmq-subscriber';
import { DEAD_LETTER_EXCHANGE, type QueueSpec } from './topology';

// Runs against the real RabbitMQ that `npm test` starts (RABBITMQ_URL, RABBITMQ_USERNAME, RABBITMQ_PASSWORD).
const url = process.env.RABBITMQ_URL;
const logger = createLogger('broker-test', (process.env.IT_LOG_LEVEL ?? 'error') as 'error');

describe('RabbitMQ connection settings', () => {
  it('takes host, port and vhost from the URL and credentials from the environment', () => {
    assert.deepEqual(rabbitConnectOptions({ url: 'amqp://mq:5673/orders', username: 'u', password: 'p', clientName: 'x' }), {
      protocol: 'amqp',
      hostname: 'mq',
      port: 5673,
      vhost: 'orders',
      username: 'u',
      password: 'p',
      heartbeat: 10,
    });
    assert.equal(rabbitConnectOptions({ url: 'amqps://mq/', clientName: 'x' }).port, 5671);
    assert.equal(rabbitConnectOptions({ url: 'amqp://mq', clientName: 'x' }).vhost, '/');
    assert.throws(() => rabbitConnectOptions({ url: 'http://mq', clientName: 'x' }), /amqp:\/\//);
  });
});

describe('RabbitMQ publisher and subscriber against the real broker', () => {
  const id = `broker-test-${Date.now().toString(36)}`;
  const spec: QueueSpec = { queue: `${id}.events`, deadLetterQueue: `${id}.dlq` };
  let connection: RabbitMQConnectionOptions;
  let admin: ChannelModel;

  before(async () => {
    assert.ok(url, 'RABBITMQ_URL is not set: run with `npm test`, which starts RabbitMQ');
    connection = { url, username: process.env.RABBITMQ_USERNAME, password: process.env.RABBITMQ_PASSWORD, clientName: id };
    admin = await connectRabbitMQ(connection);
  });

  after(async () => {
    if (!admin) return;
    const channel = await admin.createChannel();
    for (const queue of [spec.queue, spec.deadLetterQueue]) await channel.deleteQueue(queue).catch(() => undefined);
    await admin.close();
  });

  it('refuses a login with a wrong password', async () => {
    await assert.rejects(connectRabbitMQ({ ...connection, password: 'wrong' }), /ACCESS_REFUSED|403/);
  });

  let batches: number[] = [];
  it('batches concurrent publishes on a confirm channel and resolves each once confirmed', async () => {
    const publisher = new RabbitMQPublisher(logger, { connection, queues: [spec], lingerMs: 10, batchMax: 100, onBatch: (n) => batches.push(n) });
    await publisher.connect();
    assert.equal(publisher.connected, true);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => publisher.publish({ topic: spec.queue, key: `k${i}`, value: Buffer.from(`v${i}`), headers: { 'x-event-id': `id-${i}` } })),
    );
    await publisher.disconnect();
    assert.equal(publisher.connected, false);
    assert.equal(batches.reduce((a, b) => a + b, 0), 300);
    assert.ok(batches.length <= 10, `300 concurrent publishes took ${batches.length} batches`);
    assert.ok(Math.max(...batches) <= 100, 'batches are bounded');
    const channel = await admin.createChannel();
    assert.equal((await channel.checkQueue(spec.queue)).messageCount, 300, 'every confirmed message is in the queue');
    await channel.close();
  });

  it('declares durable quorum queues with a dead-letter exchange', async () => {
    const channel = await admin.createChannel();
    channel.on('error', () => undefined);
    await channel.checkExchange(DEAD_LETTER_EXCHANGE);
    await channel.checkQueue(spec.deadLetterQueue);
    // Declaring the same queue as a classic queue must fail: it proves the queue is a quorum queue.
    await assert.rejects(channel.assertQueue(spec.queue, { durable: true, arguments: { 'x-queue-type': 'classic' } }), /PRECONDITION_FAILED/);
  });

  it('fails a publish the broker cannot route instead of dropping it', async () => {
    const publisher = new RabbitMQPublisher(logger, { connection, queues: [spec] });
    await publisher.connect();
    await assert.rejects(
      publisher.publish({ topic: `${id}.missing`, key: 'k', value: Buffer.from('x'), headers: { 'x-event-id': 'lost' } }),
      (error: Error) => error instanceof RetriableError && /returned/.test(error.message),
    );
    await publisher.disconnect();
    await assert.rejects(publisher.publish({ topic: spec.queue, key: 'k', value: Buffer.from('x'), headers: {} }), RetriableError);
  });

  it('hands bounded batches to the handler, acks only after it succeeded, and redelivers a failed batch', async () => {
    const seen = new Map<string, number>();
    let failOnce = true;
    let largest = 0;
    const first = new RabbitMQSubscriber(logger, { connection, queues: [spec], prefetch: 200, maxBatch: 50 });
    await first.start(async (records: readonly IncomingRecord[]) => {
      largest = Math.max(largest, records.length);
      if (failOnce) {
        failOnce = false;
        throw new Error('simulated Valkey outage');
      }
      for (const r of records) {
        assert.equal(r.topic, spec.queue);
        const eventId = r.headers['x-event-id'] as string;
        assert.equal(r.offset, eventId, 'the message id stands in for the offset');
        seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
      }
    });
    assert.equal(first.connected, true);
    await until(() => seen.size === 300, 'all 300 messages', { timeoutMs: 300_000 });
    await first.stop();
    assert.ok(largest <= 50, `a batch held ${largest} deliveries`);
    assert.equal(seen.size, 300);

    // Everything was acked: a new consumer only gets what is published after.
    let reread = 0;
    const second = new RabbitMQSubscriber(logger, { connection, queues: [spec] });
    await second.start(async (records) => void (reread += records.length));
    const publisher = new RabbitMQPublisher(logger, { connection, queues: [spec] });
    await publisher.connect();
    await publisher.publish({ topic: spec.queue, key: 'k', value: Buffer.from('late'), headers: { 'x-event-id': 'late' } });
    await until(() => reread >= 1, 'the late message', { timeoutMs: 30_000 });
    await second.stop();
    await publisher.disconnect();
    assert.equal(reread, 1, 'only the new message was delivered');
  });

  it('reconnects after the broker closed its connection and keeps consuming', async () => {
    const got: string[] = [];
    const subscriber = new RabbitMQSubscriber(logger, { connection: { ...connection, clientName: `${id}-reconnect` }, queues: [spec] });
    await subscriber.start(async (records) => void got.push(...records.map((r) => r.headers['x-event-id'] as string)));
    // Cutting the subscriber's socket stands in for a broker restart or a network fault.
    const internals = subscriber as unknown as { connection: ChannelModel & { connection: { stream: { destroy(): void } } } };
    const cut = internals.connection;
    cut.connection.stream.destroy();
    await until(() => subscriber.connected && internals.connection !== cut, 'a new connection', { timeoutMs: 300_000 });
    const publisher = new RabbitMQPublisher(logger, { connection, queues: [spec] });
    await publisher.connect();
    await publisher.publish({ topic: spec.queue, key: 'k', value: Buffer.from('after'), headers: { 'x-event-id': 'after-reconnect' } });
    await until(() => got.includes('after-reconnect'), 'a message after the reconnect', { timeoutMs: 30_000 });
    await subscriber.stop();
    await publisher.disconnect();
  });

  after(() => {
    batches = [];
  });
});
