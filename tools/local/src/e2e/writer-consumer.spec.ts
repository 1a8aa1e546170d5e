import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertQueues,
  connectRabbitMQ,
  createKafka,
  createPublisher,
  createSubscriber,
  ensureTopics,
  type BatchHandler,
  type BrokerConfig,
  type BrokerKind,
  type EventPublisher,
  type EventSubscriber,
} from '@oleada/broker';
import { Aggregator, DEAD_LETTER_METRIC } from '@oleada/consumer';
import { WriterClients } from '@oleada/relay';
import { blackfridayScenario, olympicsScenario, OUTCOME_TOPICS, queuesOf, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { createLogger, freePort, Metrics, OpsModule, uuidv7 } from '@oleada/shared';
import { readAggregates } from '@oleada/valkey-schema';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { WriterModule, writerGrpcOptions } from '@oleada/writer';
import type Valkey from 'iovalkey';
import { expectedSales, hashDelta, waitFor } from '../load';
import { isolatedScenario, testRabbitMQ, testServers, testValkey, uniqueName } from '../testing';

const logger = createLogger('it', (process.env.IT_LOG_LEVEL ?? 'error') as 'error');


/** The writer as the app runs it (WriterModule on its gRPC transport), publishing through `publisher`. */
async function startWriter(broker: BrokerConfig, scenario: AnyScenario, publisher: EventPublisher, seed = 0): Promise<{ app: INestMicroservice; port: number }> {
  const port = await freePort();
  const settings = { name: 'writer-it', logLevel: process.env.IT_LOG_LEVEL ?? 'error' };
  const options = { name: 'writer-it', scenarios: [scenario], broker, lingerMs: 5, batchMax: 200, shutdownTimeoutMs: 4000, publisher, seed };
  const module = { module: class WriterItModule {}, imports: [OpsModule.forRootAsync({ useFactory: () => settings }), WriterModule.forRoot(options)] };
  const app = await NestFactory.createMicroservice(module, { ...writerGrpcOptions([scenario], port, '127.0.0.1'), logger: false });
  await app.listen();
  return { app, port };
}

/** A record as a misbehaving producer could put it straight into a topic or queue. */
interface RawRecord {
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** What the test needs of one broker besides the classes under test. */
interface BrokerUnderTest {
  readonly config: BrokerConfig;
  /** Topics or queues (in Kubernetes: Strimzi KafkaTopics; the apps declare RabbitMQ queues on connect). */
  create(scenario: AnyScenario): Promise<void>;
  /** Bypasses the writer. */
  inject(topic: string, records: readonly RawRecord[]): Promise<void>;
  /** Dead-letter reasons of what landed in the dead-letter topic or queue. */
  deadLetterReasons(scenario: AnyScenario, atLeast: number): Promise<string[]>;
  /** Deletes what `create` made. */
  cleanUp(scenario: AnyScenario): Promise<void>;
}

function kafkaUnderTest(id: string): BrokerUnderTest {
  const { kafkaBrokers } = testServers();
  const kafka = createKafka({ brokers: kafkaBrokers.split(','), clientId: id }, logger);
  return {
    config: { BROKER: 'kafka', KAFKA_BROKERS: kafkaBrokers.split(','), KAFKA_SSL: false },
    create: (scenario) => ensureTopics(kafka, [...scenario.topics.map((topic) => ({ topic, partitions: 3 })), { topic: scenario.deadLetterTopic, partitions: 1 }]),
    async inject(topic, records) {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: records.map((r, i) => ({ key: `p${i}`, value: r.value, headers: r.headers })) });
      await producer.disconnect();
    },
    async deadLetterReasons(scenario, atLeast) {
      const reasons: string[] = [];
      const reader = kafka.consumer({ groupId: `${id}-dlq` });
      await reader.connect();
      await reader.subscribe({ topic: scenario.deadLetterTopic, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void reasons.push(String(message.headers?.['x-dead-letter-reason'])) });
      await waitFor(() => reasons.length >= atLeast, 30_000, 'dead letters');
      await reader.disconnect();
      return reasons;
    },
    async cleanUp(scenario) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [...scenario.topics, scenario.deadLetterTopic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

function rabbitUnderTest(id: string): BrokerUnderTest {
  const env = testRabbitMQ();
  const connection = { url: env.RABBITMQ_URL, username: env.RABBITMQ_USERNAME, password: env.RABBITMQ_PASSWORD, clientName: id };
  const withChannel = async <T>(use: (channel: import('amqplib').Channel) => Promise<T>): Promise<T> => {
    const model = await connectRabbitMQ(connection);
    try {
      return await use(await model.createChannel());
    } finally {
      await model.close();
    }
  };
  return {
    config: { BROKER: 'rabbitmq', ...env, KAFKA_SSL: false },
    create: (scenario) => withChannel((channel) => assertQueues(channel, queuesOf([scenario]))),
    async inject(topic, records) {
      const model = await connectRabbitMQ(connection);
      const channel = await model.createConfirmChannel();
      for (const r of records) channel.sendToQueue(topic, r.value, { persistent: true, headers: r.headers });
      await channel.waitForConfirms();
      await model.close();
    },
    deadLetterReasons: (scenario, atLeast) =>
      withChannel(async (channel) => {
        const reasons: string[] = [];
        await waitFor(
          async () => {
            const message = await channel.get(scenario.queues.deadLetter, { noAck: true });
            if (message) reasons.push(String(message.properties.headers?.['x-dead-letter-reason']));
            return reasons.length >= atLeast;
          },
          30_000,
          'dead letters',
          20,
        );
        return reasons;
      }),
    cleanUp: (scenario) =>
      withChannel(async (channel) => {
        for (const { queue, deadLetterQueue } of queuesOf([scenario])) {
          await channel.deleteQueue(queue);
          await channel.deleteQueue(deadLetterQueue);
        }
      }),
  };
}

const BROKERS: Record<BrokerKind, (id: string) => BrokerUnderTest> = { kafka: kafkaUnderTest, rabbitmq: rabbitUnderTest };

/**
 * writer (gRPC) → broker → consumer → Valkey with the real servers, in one process: the same
 * classes the apps wire (through the same broker factory), on topics, queues and a key namespace
 * of this test's own. Run once per broker.
 */
for (const brokerName of Object.keys(BROKERS) as BrokerKind[]) {
  describe(`writer → ${brokerName} → consumer → Valkey`, () => {
    const id = uniqueName(`it-${brokerName}`);
    const scenario = isolatedScenario(blackfridayScenario, id);
    const topic = scenario.topics[0];
    let broker: BrokerUnderTest;
    let valkey: Valkey;
    let publisher: EventPublisher;
    let writer: INestMicroservice;
    let clients: WriterClients;
    let aggregator: Aggregator;
    let subscriber: EventSubscriber;
    let deadLetters: EventPublisher;
    /** Decides, per batch, whether it fails before or after Valkey applied it (the fault tests). */
    let fault: ((records: number) => 'before' | 'after' | undefined) | undefined;
    const produced: number[] = [];
    const failed: string[] = [];

    before(async () => {
      broker = BROKERS[brokerName](id);
      await broker.create(scenario);
      valkey = await testValkey();
      const queues = queuesOf([scenario]);
      publisher = createPublisher(broker.config, { name: `${id}-writer`, logger, queues, lingerMs: 5, batchMax: 200, onBatch: (n) => produced.push(n) });
      await publisher.connect();
      const { app, port } = await startWriter(broker.config, scenario, publisher);
      writer = app;
      // A deadline no busy machine reaches: the test is about counts, and a call that timed out while its
      // event was still produced would leave that event to be counted in the next test.
      clients = new WriterClients([`127.0.0.1:${port}`], 60_000);
      deadLetters = createPublisher(broker.config, { name: `${id}-dlq`, logger, queues });
      await deadLetters.connect();
      aggregator = new Aggregator({ scenarios: [scenario], valkey, deadLetters, seenTtlSeconds: 3600, logger, metrics: new Metrics('consumer-it'), variant: id });
      await aggregator.prepare();
      subscriber = createSubscriber(broker.config, { name: `${id}-consumer`, logger, queues, groupId: id });
      const handler: BatchHandler = async (records) => {
        const when = fault?.(records.length);
        if (when === 'before') throw (failed.push('before'), new Error('simulated Valkey outage'));
        await aggregator.handle(records);
        if (when === 'after') throw (failed.push('after'), new Error('simulated crash before the commit/ack'));
      };
      await subscriber.start(handler);
    });

    after(async () => {
      await subscriber?.stop();
      await writer?.close();
      clients?.close();
      await publisher?.disconnect();
      await deadLetters?.disconnect();
      if (aggregator) {
        const keys = await valkey.keys(aggregator.keysFor(scenario.name).pattern());
        if (keys.length > 0) await valkey.del(...keys);
      }
      valkey?.disconnect();
      await broker?.cleanUp(scenario);
    });

    const send = (bodies: readonly { id: string; body: unknown }[]) =>
      Promise.all(bodies.map((e) => clients.call(scenario, scenario.toMessage(e.body), e.id, Date.now())));
    const total = async () => Number(await valkey.get(aggregator.keysFor(scenario.name).metric('total')));

    it('counts every acknowledged event exactly once, replays and poison records included', async () => {
      const random = seededRandom(99);
      const events = Array.from({ length: 400 }, () => ({ id: uuidv7(), body: scenario.body.parse(scenario.sample(random)) }));
      // Every 10th event is sent twice (a retry after a lost answer): it must count once.
      const calls = [...events, ...events.filter((_, i) => i % 10 === 0)];
      await send(calls);
      assert.ok(produced.length < calls.length / 4, `${calls.length} RPCs shared ${produced.length} produce requests`);

      // A message the writer must refuse, and records no writer would produce, straight into the topic.
      await assert.rejects(clients.call(scenario, { categoria: 0, productoId: 'X', precio: 1, cantidadVendida: 1 }, uuidv7(), Date.now()), /categoria 0/);
      await broker.inject(topic, [
        { value: Buffer.from([0xff, 0xff, 0xff, 0xff]), headers: { 'x-event-id': uuidv7() } },
        { value: Buffer.from(scenario.encode({ categoria: 9, productoId: 'X', precio: 1, cantidadVendida: 1 })), headers: { 'x-event-id': uuidv7() } },
        { value: Buffer.from(scenario.encode({ categoria: 1, productoId: 'X', precio: 1, cantidadVendida: 1 })), headers: {} },
      ]);

      const keys = aggregator.keysFor(scenario.name);
      await waitFor(async () => Number(await valkey.get(keys.metric(DEAD_LETTER_METRIC))) === 3 && (await total()) >= events.length, 300_000, 'all events and poison records');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more may arrive

      const expected = expectedSales(events.map((e) => e.body as Parameters<typeof expectedSales>[0][number]));
      const snapshot = await readAggregates(valkey, scenario.aggregates, keys);
      assert.equal(snapshot.counters.total, events.length);
      assert.deepEqual(hashDelta(snapshot.hashes.reports), expected.reports);
      assert.deepEqual(hashDelta(snapshot.hashes.units), expected.units);
      assert.deepEqual(hashDelta(snapshot.hashes.revenue_cents), expected.revenue);
      assert.equal(Number(await valkey.get(keys.metric(DEAD_LETTER_METRIC))), 3);

      // The dead-letter topic or queue holds the three poison records, each with its reason.
      const reasons = await broker.deadLetterReasons(scenario, 3);
      assert.equal(reasons.length, 3);
      assert.ok(reasons.some((r) => /undecodable/.test(r)));
      assert.ok(reasons.some((r) => /categoria 9/.test(r)));
      assert.ok(reasons.some((r) => /x-event-id/.test(r)));
    });

    it('redelivers a batch the consumer failed to apply, or applied but did not commit, and counts it once', async () => {
      const before = await total();
      const outcomes: Array<'before' | 'after'> = ['before', 'after'];
      failed.length = 0;
      fault = () => outcomes.shift();
      const random = seededRandom(7);
      const events = Array.from({ length: 120 }, () => ({ id: uuidv7(), body: scenario.body.parse(scenario.sample(random)) }));
      await send(events);
      await waitFor(async () => (await total()) - before >= events.length && outcomes.length === 0, 300_000, 'the redelivered batches');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // late duplicates would show up here
      fault = undefined;
      assert.deepEqual(failed, ['before', 'after'], 'both faults happened');
      assert.equal((await total()) - before, events.length, 'every event counted exactly once');
    });

    it('takes many events in one EventBatchService call, each with its own outcome, each counted once', async () => {
      const before = await total();
      const producedBefore = produced.length;
      const random = seededRandom(31);
      const events = Array.from({ length: 300 }, () => ({ eventId: uuidv7(), acceptedAt: Date.now(), message: scenario.toMessage(scenario.body.parse(scenario.sample(random))) }));
      const invalid = { eventId: uuidv7(), acceptedAt: Date.now(), message: { categoria: 0, productoId: 'X', precio: 1, cantidadVendida: 1 } };
      const badId = { ...events[0], eventId: 'not-a-uuid' };
      // The 7th event twice in the same call (a retried event): one outcome each, counted once.
      const batch = [...events.slice(0, 150), invalid, badId, events[7], ...events.slice(150)];
      const outcomes = await clients.callBatch(scenario, batch);
      assert.equal(outcomes.length, batch.length);
      assert.deepEqual(
        outcomes.map((o) => o.code),
        batch.map((e) => (e === invalid || e === badId ? 3 : 0)),
        'OK for every valid event, INVALID_ARGUMENT (3) for the two wrong ones',
      );
      assert.match(outcomes[150].detail, /categoria 0/);
      assert.match(outcomes[151].detail, /UUID/);
      assert.ok(produced.length - producedBefore <= 10, `300 events in ${produced.length - producedBefore} produce requests`);
      await waitFor(async () => (await total()) - before >= events.length, 300_000, 'the batch counted');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await total()) - before, events.length, 'every valid event counted exactly once');

      // A scenario this writer does not serve: the whole call is refused, nothing is published.
      const foreign = await clients.callBatch({ ...scenario, name: `${scenario.name}-elsewhere` }, events.slice(0, 2));
      assert.deepEqual(
        foreign.map((o) => o.code),
        [3, 3],
      );
      assert.match(foreign[0].detail, /not served/);
    });

    it('answers UNAVAILABLE, never OK, while the broker connection is gone', async () => {
      await publisher.disconnect();
      const message = scenario.toMessage(scenario.body.parse(scenario.sample(seededRandom(1))));
      await assert.rejects(clients.call(scenario, message, uuidv7(), Date.now()), (error: { code?: number }) => error.code === 14);
      const outcomes = await clients.callBatch(scenario, [{ eventId: uuidv7(), acceptedAt: Date.now(), message }]);
      assert.equal(outcomes[0].code, 14);
      await publisher.connect();
    });
  });
}

/**
 * The olympics broker-agreement test: the same events through a Kafka writer and a RabbitMQ writer
 * (two writer instances, as `--broker both` runs them), each path consumed into Valkey under its own
 * variant. The writer decides winner or loser from the event itself, so both paths must count the
 * same winners and losers, per faculty and per discipline too.
 */
describe('olympics: the Kafka path and the RabbitMQ path declare the same winners', () => {
  const id = uniqueName('it-agree');
  const paths = (Object.keys(BROKERS) as BrokerKind[]).map((name) => ({ name, scenario: isolatedScenario(olympicsScenario, `${id}-${name}`) }));
  let valkey: Valkey;
  const started: Array<{ broker: BrokerUnderTest; scenario: AnyScenario; clients: WriterClients; aggregator: Aggregator; stop(): Promise<void> }> = [];

  before(async () => {
    valkey = await testValkey();
    for (const { name, scenario } of paths) {
      const broker = BROKERS[name](`${id}-${name}`);
      await broker.create(scenario);
      const queues = queuesOf([scenario]);
      const publisher = createPublisher(broker.config, { name: `${id}-${name}-writer`, logger, queues, lingerMs: 5, batchMax: 200 });
      await publisher.connect();
      // Seed 7, as `npm run demo -- --broker both --seed 7` runs them.
      const { app, port } = await startWriter(broker.config, scenario, publisher, 7);
      const clients = new WriterClients([`127.0.0.1:${port}`], 60_000);
      const deadLetters = createPublisher(broker.config, { name: `${id}-${name}-dlq`, logger, queues });
      await deadLetters.connect();
      const aggregator = new Aggregator({ scenarios: [scenario], valkey, deadLetters, seenTtlSeconds: 3600, logger, metrics: new Metrics(`agree-${name}`), variant: `${id}-${name}` });
      await aggregator.prepare();
      const subscriber = createSubscriber(broker.config, { name: `${id}-${name}-consumer`, logger, queues, groupId: `${id}-${name}` });
      await subscriber.start(aggregator.handle);
      const stop = async () => {
        await subscriber.stop();
        await app.close();
        clients.close();
        await publisher.disconnect();
        await deadLetters.disconnect();
      };
      started.push({ broker, scenario, clients, aggregator, stop });
    }
  });

  after(async () => {
    for (const path of started) {
      await path.stop();
      const keys = await valkey.keys(path.aggregator.keysFor(path.scenario.name).pattern());
      if (keys.length > 0) await valkey.del(...keys);
      await path.broker.cleanUp(path.scenario);
    }
    valkey?.disconnect();
  });

  it('counts identical winners and losers on both paths, and a redelivered event decides the same', async () => {
    const random = seededRandom(7);
    const events = Array.from({ length: 300 }, () => ({ eventId: uuidv7(), acceptedAt: Date.now(), message: olympicsScenario.toMessage(olympicsScenario.body.parse(olympicsScenario.sample(random))) }));
    for (const { clients, scenario } of started) {
      // Each event once in a batch, and the first 50 again one by one (a relay's retry): counted once, same outcome.
      const outcomes = await clients.callBatch(scenario, events);
      assert.deepEqual(outcomes.map((o) => o.code), events.map(() => 0));
      await Promise.all(events.slice(0, 50).map((e) => clients.call(scenario, e.message, e.eventId, e.acceptedAt)));
    }
    const snapshots = [];
    for (const path of started) {
      const keys = path.aggregator.keysFor(path.scenario.name);
      await waitFor(async () => Number(await valkey.get(keys.metric('total'))) >= events.length, 300_000, `${path.scenario.name} counted`);
      snapshots.push(await readAggregates(valkey, path.scenario.aggregates, keys));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a retried event counted twice would show up here
    const [kafka, rabbitmq] = snapshots;
    assert.equal(kafka.counters.total, events.length);
    assert.equal(rabbitmq.counters.total, events.length);
    const results = hashDelta(kafka.hashes.results);
    assert.ok(results[OUTCOME_TOPICS.winners] > 0 && results[OUTCOME_TOPICS.losers] > 0, `both outcomes occur: ${JSON.stringify(results)}`);
    assert.deepEqual(hashDelta(rabbitmq.hashes.results), results, 'the same winners and losers');
    for (const metric of ['by_faculty', 'by_discipline']) {
      for (const outcome of Object.values(OUTCOME_TOPICS)) {
        assert.deepEqual(hashDelta(rabbitmq.hashes[`${metric}:${outcome}`]), hashDelta(kafka.hashes[`${metric}:${outcome}`]), `${metric} of ${outcome}`);
      }
    }
  });
});
