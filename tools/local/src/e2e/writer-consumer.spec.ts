import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKafka, ensureTopics, KafkaPublisher, KafkaSubscriber } from '@oleada/broker';
import { Aggregator, DEAD_LETTER_METRIC } from '@oleada/consumer';
import { WriterClients } from '@oleada/relay';
import { blackfridayScenario, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { createLogger, Metrics, uuidv7 } from '@oleada/shared';
import { readAggregates } from '@oleada/valkey-schema';
import { WriterServer } from '@oleada/writer';
import type Valkey from 'iovalkey';
import type { Kafka } from 'kafkajs';
import { testServers, testValkey, uniqueName } from '../testing';

const logger = createLogger('it', 'error');

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * writer (gRPC) → Kafka → consumer → Valkey with the real servers, in one process: the same
 * classes the apps wire, on a topic and key namespace of this test's own.
 */
describe('writer → Kafka → consumer → Valkey', () => {
  const id = uniqueName('it');
  const topic = `${id}.sales`;
  const scenario: AnyScenario = { ...blackfridayScenario, topics: [topic], deadLetterTopic: `${topic}.dlq`, route: () => topic };
  let kafka: Kafka;
  let valkey: Valkey;
  let publisher: KafkaPublisher;
  let server: WriterServer;
  let clients: WriterClients;
  let aggregator: Aggregator;
  let subscriber: KafkaSubscriber;
  let deadLetters: KafkaPublisher;
  const produced: number[] = [];

  before(async () => {
    const { kafkaBrokers } = testServers();
    kafka = createKafka({ brokers: kafkaBrokers.split(','), clientId: id }, logger);
    await ensureTopics(kafka, [
      { topic, partitions: 3 },
      { topic: scenario.deadLetterTopic, partitions: 1 },
    ]);
    valkey = await testValkey();
    publisher = new KafkaPublisher(kafka, logger, { lingerMs: 5, batchMax: 200, onBatch: (n) => produced.push(n) });
    await publisher.connect();
    server = new WriterServer({ name: 'writer-it', scenarios: [scenario], publisher, logger, metrics: new Metrics('writer-it') });
    const port = await server.listen(0, '127.0.0.1');
    clients = new WriterClients([`127.0.0.1:${port}`], 5000);
    deadLetters = new KafkaPublisher(kafka, logger);
    await deadLetters.connect();
    aggregator = new Aggregator({ scenarios: [scenario], valkey, deadLetters, seenTtlSeconds: 3600, logger, metrics: new Metrics('consumer-it'), variant: id });
    await aggregator.prepare();
    subscriber = new KafkaSubscriber(kafka, logger, { groupId: id, topics: [topic] });
    await subscriber.start(aggregator.handle);
  });

  after(async () => {
    await subscriber?.stop();
    await server?.drain(2000);
    clients?.close();
    await publisher?.disconnect();
    await deadLetters?.disconnect();
    const keys = await valkey.keys(aggregator.keysFor(scenario.name).pattern());
    if (keys.length > 0) await valkey.del(...keys);
    valkey?.disconnect();
  });

  it('counts every acknowledged event exactly once, replays and poison records included', async () => {
    const random = seededRandom(99);
    const events = Array.from({ length: 400 }, () => ({ id: uuidv7(), body: scenario.body.parse(scenario.sample(random)) }));
    // Every 10th event is sent twice (a retry after a lost answer): it must count once.
    const calls = [...events, ...events.filter((_, i) => i % 10 === 0)];
    await Promise.all(calls.map((e) => clients.call(scenario, scenario.toMessage(e.body), e.id, Date.now())));
    assert.ok(produced.length < calls.length / 4, `${calls.length} RPCs shared ${produced.length} produce requests`);

    // A message the writer must refuse, and records no writer would produce, straight into the topic.
    await assert.rejects(clients.call(scenario, { categoria: 0, productoId: 'X', precio: 1, cantidadVendida: 1 }, uuidv7(), Date.now()), /categoria 0/);
    const poison = kafka.producer();
    await poison.connect();
    await poison.send({
      topic,
      messages: [
        { key: 'p1', value: Buffer.from([0xff, 0xff, 0xff, 0xff]), headers: { 'x-event-id': uuidv7() } },
        { key: 'p2', value: Buffer.from(scenario.encode({ categoria: 9, productoId: 'X', precio: 1, cantidadVendida: 1 })), headers: { 'x-event-id': uuidv7() } },
        { key: 'p3', value: Buffer.from(scenario.encode({ categoria: 1, productoId: 'X', precio: 1, cantidadVendida: 1 })) },
      ],
    });
    await poison.disconnect();

    const keys = aggregator.keysFor(scenario.name);
    await until(async () => Number(await valkey.get(keys.metric(DEAD_LETTER_METRIC))) === 3 && Number(await valkey.get(keys.metric('total'))) >= events.length, 60_000, 'all events and poison records');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more may arrive

    const expected = { reports: {} as Record<string, number>, units: {} as Record<string, number>, revenue: {} as Record<string, number> };
    for (const { body } of events) {
      const record = scenario.decode(scenario.encode(scenario.toMessage(body)), { eventId: '', acceptedAt: 0, topic });
      expected.reports[record.categoria] = (expected.reports[record.categoria] ?? 0) + 1;
      expected.units[record.categoria] = (expected.units[record.categoria] ?? 0) + record.quantity;
      expected.revenue[record.categoria] = (expected.revenue[record.categoria] ?? 0) + record.priceCents * record.quantity;
    }
    const snapshot = await readAggregates(valkey, scenario.aggregates, keys);
    assert.equal(snapshot.counters.total, events.length);
    assert.deepEqual(snapshot.hashes.reports, expected.reports);
    assert.deepEqual(snapshot.hashes.units, expected.units);
    assert.deepEqual(snapshot.hashes.revenue_cents, expected.revenue);
    assert.equal(Number(await valkey.get(keys.metric(DEAD_LETTER_METRIC))), 3);

    // The dead-letter topic holds the three poison records, each with its reason.
    const reasons: string[] = [];
    const reader = kafka.consumer({ groupId: `${id}-dlq` });
    await reader.connect();
    await reader.subscribe({ topic: scenario.deadLetterTopic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void reasons.push(String(message.headers?.['x-dead-letter-reason'])) });
    await until(async () => reasons.length >= 3, 30_000, 'dead letters');
    await reader.disconnect();
    assert.equal(reasons.length, 3);
    assert.ok(reasons.some((r) => /undecodable/.test(r)));
    assert.ok(reasons.some((r) => /categoria 9/.test(r)));
    assert.ok(reasons.some((r) => /x-event-id/.test(r)));
  });

  it('answers UNAVAILABLE, never OK, while the broker connection is gone', async () => {
    await publisher.disconnect();
    await assert.rejects(clients.call(scenario, scenario.toMessage(scenario.body.parse(scenario.sample(seededRandom(1)))), uuidv7(), Date.now()), (error: { code?: number }) => error.code === 14);
    await publisher.connect();
  });
});
