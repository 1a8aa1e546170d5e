import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createKafka, ensureTopics, type BrokerConfig } from '@oleada/broker';
import { blackfridayScenario, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { createHttpApp, createLogger, Health, Metrics, METRIC_NAMES, OpsModule, RetriableError, until, uuidv7 } from '@oleada/shared';
import { readAggregates, ScenarioKeys } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import type { Kafka } from 'kafkajs';
import { Aggregator, DEAD_LETTER_METRIC } from './aggregator';
import { BrokerBatchServer } from './broker-batch.server';
import { ConsumerModule, type ConsumerModuleOptions } from './consumer.module';

// Runs against the real Kafka and Valkey that `npm test` starts (KAFKA_BROKERS, VALKEY_URL and the
// consumer's and the admin's Valkey users): the consumer as its app wires it (createHttpApp with
// ConsumerModule and BrokerBatchServer as its transport). Its handlers are bound to the scenario's
// real topic names, so this spec uses blackfriday.sales, and its own key variant in Valkey.
const scenario = blackfridayScenario;
/** The same, taking any message: for records no writer would produce. */
const unchecked: AnyScenario = scenario;
const [topic] = scenario.topics;
const logger = createLogger('consumer-spec', 'silent');
const variant = `spec${Date.now().toString(36)}`;
const keys = new ScenarioKeys(scenario.name, { variant });

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run with \`npm test\` (tools/scripts/run-tests.mjs starts Kafka and Valkey)`);
  return value;
}

/** A TCP proxy in front of Valkey: `down()` takes Valkey away (connections cut, new ones refused); `hold` keeps FCALLs (batches being applied) until released. */
class ValkeyProxy {
  mode: 'pass' | 'hold' = 'pass';
  /** FCALLs forwarded. */
  applies = 0;
  private refusing = false;
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private server: NetServer | undefined;

  get holding(): number {
    return this.held.length;
  }

  async start(target: URL): Promise<number> {
    this.server = createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = connect(Number(target.port), target.hostname);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => (this.sockets.delete(socket), end()));
        socket.on('error', end);
      }
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('data', (chunk: Buffer) => {
        if (!/FCALL/i.test(chunk.toString('latin1'))) return void upstream.write(chunk);
        if (this.mode === 'hold') {
          client.pause();
          return void this.held.push(() => (this.applies++, upstream.write(chunk), client.resume()));
        }
        this.applies++;
        upstream.write(chunk);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server!.address() as AddressInfo).port;
  }

  down(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  release(): void {
    this.mode = 'pass';
    this.refusing = false;
    for (const forward of this.held.splice(0)) forward();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

@Module({})
class SpecRoot {}

interface RunningConsumer {
  readonly app: NestFastifyApplication;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly groupId: string;
}

/** Specs here wait for a rebalance and a Valkey outage: longer than the default. */
const WAIT = { timeoutMs: 240_000 };

describe('consumer: Kafka batches into Valkey, through its Nest transport', () => {
  const broker: BrokerConfig = { BROKER: 'kafka', KAFKA_BROKERS: [], KAFKA_SSL: false };
  const proxy = new ValkeyProxy();
  const consumers: RunningConsumer[] = [];
  const closed = new Set<RunningConsumer>();
  let kafka: Kafka;
  let admin: Valkey;
  let valkeyPort: number;
  const sent: Array<{ id: string; categoria: string }> = [];

  async function startConsumer(groupId: string): Promise<RunningConsumer> {
    const metrics = new Metrics(groupId);
    const health = new Health();
    const options: ConsumerModuleOptions = {
      name: groupId,
      scenarios: [scenario],
      broker,
      valkey: { url: `redis://127.0.0.1:${valkeyPort}`, username: env('VALKEY_CONSUMER_USERNAME'), password: env('VALKEY_CONSUMER_PASSWORD') },
      groupId,
      partitionsConcurrently: 6,
      prefetch: 100,
      maxBatch: 100,
      dedupTtlSeconds: 3600,
      variant,
    };
    const app = await createHttpApp(
      { module: SpecRoot, imports: [OpsModule.forRoot(health, metrics, logger), ConsumerModule.forRoot(options)] },
      { logger, health, microservices: [(nest) => ({ strategy: nest.get(BrokerBatchServer) })] },
    );
    await app.startAllMicroservices();
    const consumer = { app, metrics, health, groupId };
    consumers.push(consumer);
    return consumer;
  }

  /** Offsets the group committed on the topic, summed over its partitions. */
  async function committed(groupId: string): Promise<number> {
    const client = kafka.admin();
    await client.connect();
    try {
      const [offsets] = await client.fetchOffsets({ groupId, topics: [topic] });
      return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await client.disconnect();
    }
  }

  /** Writes records straight into the topic, as writers (or a misbehaving producer) would. */
  async function produce(records: Array<{ value: Buffer; headers: Record<string, string> }>): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: records.map((r, i) => ({ key: `k${i}`, value: r.value, headers: r.headers })) });
    await producer.disconnect();
  }

  function sales(count: number, seed: number) {
    const random = seededRandom(seed);
    return Array.from({ length: count }, () => {
      const body = scenario.body.parse(scenario.sample(random));
      const id = uuidv7();
      sent.push({ id, categoria: String(body.categoria) });
      return { value: Buffer.from(scenario.encode(scenario.toMessage(body))), headers: { 'x-event-id': id, 'x-accepted-at': String(Date.now()), 'x-scenario': scenario.name } };
    });
  }

  const total = async () => Number(await admin.get(keys.metric('total')));
  const deadLetters = async () => Number(await admin.get(keys.metric(DEAD_LETTER_METRIC)));
  const count = async (metrics: Metrics, outcome: string) => {
    const line = (await metrics.render()).split('\n').find((l) => l.startsWith(`${METRIC_NAMES.consumerEvents}{`) && l.includes(`outcome="${outcome}"`) && l.includes('scenario="all"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  before(async () => {
    const brokers = env('KAFKA_BROKERS').split(',');
    (broker as { KAFKA_BROKERS: string[] }).KAFKA_BROKERS = brokers;
    kafka = createKafka({ brokers, clientId: variant }, logger);
    await ensureTopics(kafka, [
      { topic, partitions: scenario.partitions },
      { topic: scenario.deadLetterTopic, partitions: 1 },
    ]);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    let records = -1;
    try {
      // A topic just created may not have its leaders yet (NOT_LEADER_FOR_PARTITION, retriable).
      await until(async () => {
        const ends = await kafkaAdmin.fetchTopicOffsets(topic).catch((error: { retriable?: boolean }) => (error.retriable ? undefined : Promise.reject(error)));
        if (ends) records = ends.reduce((sum, p) => sum + Number(p.high), 0);
        return ends !== undefined;
      }, `the leaders of ${topic}`, WAIT);
    } finally {
      await kafkaAdmin.disconnect();
    }
    assert.equal(records, 0, `${topic} must start empty (a fresh Kafka, as run-tests.mjs starts)`);
    const url = new URL(env('VALKEY_URL'));
    admin = new Valkey(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1, username: env('VALKEY_USERNAME'), password: env('VALKEY_PASSWORD') });
    await admin.connect();
    valkeyPort = await proxy.start(url);
  });

  after(async () => {
    proxy.release();
    for (const consumer of consumers) if (!closed.has(consumer)) await consumer.app.close();
    await proxy.stop();
    if (admin) {
      const stale = await admin.keys(keys.pattern());
      if (stale.length > 0) await admin.del(...stale);
      admin.disconnect();
    }
  });

  let first: RunningConsumer;
  const N = 200;

  it('applies each batch to Valkey in one atomic call, then commits it', async () => {
    first = await startConsumer(`${variant}-a`);
    await produce(sales(N, 11));
    await until(async () => (await committed(first.groupId)) === N, 'the first group to commit every record', WAIT);
    assert.equal(await total(), N);
    const snapshot = await readAggregates(admin, scenario.aggregates, keys);
    const perCategory: Record<string, number> = {};
    for (const { categoria } of sent) perCategory[categoria] = (perCategory[categoria] ?? 0) + 1;
    assert.deepEqual(Object.fromEntries(Object.entries(snapshot.hashes.reports).filter(([, n]) => n !== 0)), perCategory);
    assert.equal(await count(first.metrics, 'applied'), N);
    assert.ok(proxy.applies > 0 && proxy.applies <= N / 4, `${N} records took ${proxy.applies} Valkey calls`);
  });

  it('sends a record it cannot use to the dead-letter topic with the reason, and counts it once', async () => {
    await produce([
      { value: Buffer.from([0xff, 0xff, 0xff, 0xff]), headers: { 'x-event-id': uuidv7() } },
      { value: Buffer.from(unchecked.encode({ categoria: 9, productoId: 'ELEC-X', precio: 1, cantidadVendida: 1 })), headers: { 'x-event-id': uuidv7() } },
      { value: Buffer.from(unchecked.encode({ categoria: 1, productoId: 'ELEC-X', precio: 1, cantidadVendida: 1 })), headers: {} },
    ]);
    await until(async () => (await committed(first.groupId)) === N + 3, 'the poison records committed', WAIT);
    assert.equal(await deadLetters(), 3);
    assert.equal(await total(), N, 'nothing of them aggregated');

    const reasons: Array<[string, string]> = [];
    const reader = kafka.consumer({ groupId: `${variant}-dlq` });
    await reader.connect();
    await reader.subscribe({ topic: scenario.deadLetterTopic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void reasons.push([String(message.headers?.['x-dead-letter-reason']), String(message.headers?.['x-dead-letter-source'])]) });
    await until(() => reasons.length >= 3, 'three dead letters', WAIT);
    await reader.disconnect();
    const text = reasons.map(([reason]) => reason).join(' | ');
    assert.match(text, /undecodable/);
    assert.match(text, /categoria 9/);
    assert.match(text, /x-event-id/);
    for (const [, source] of reasons) assert.match(source, new RegExp(`^${topic.replace('.', '\\.')}/\\d+/\\d+$`), 'where the record was read');
  });

  it('counts nothing twice when the same records are delivered again', async () => {
    // A second group reads the topic from its start: every record, poison included, comes again.
    const again = await startConsumer(`${variant}-b`);
    await until(async () => (await committed(again.groupId)) === N + 3, 'the second group to commit every record', WAIT);
    assert.equal(await total(), N);
    assert.equal(await deadLetters(), 3);
    assert.equal(await count(again.metrics, 'duplicate'), N + 3, 'each record seen again, by its event id or its position');
    assert.equal(await count(again.metrics, 'applied'), 0);
    closed.add(again);
    await again.app.close();
  });

  it('leaves a batch uncommitted while Valkey is out of reach (a retriable error), not ready meanwhile, and applies it once when back', async () => {
    const M = 50;
    // Watches the handler the transport calls (the module's own Aggregator) for the errors it gives back.
    const aggregator = first.app.get(Aggregator);
    const handle = aggregator.handle;
    const errors: unknown[] = [];
    Object.defineProperty(aggregator, 'handle', { value: (records: Parameters<typeof handle>[0]) => handle(records).catch((error: unknown) => Promise.reject((errors.push(error), error))) });
    await until(() => first.health.ready, 'the consumer ready (Valkey and the broker up)', WAIT);
    proxy.down();
    await until(() => first.health.report().checks.valkey === 'down', 'readiness to follow Valkey down', WAIT);
    assert.equal(first.health.ready, false);
    assert.equal(first.health.report().checks.broker, 'up');
    await produce(sales(M, 12));
    await until(() => errors.length >= 2, 'the batch to fail, and fail again', WAIT);
    assert.ok(errors.every((error) => error instanceof RetriableError && /^Valkey did not apply the batch/.test(error.message)), String(errors[0]));
    assert.equal(await committed(first.groupId), N + 3, 'nothing committed');
    assert.equal(await total(), N);
    proxy.release();
    await until(async () => (await committed(first.groupId)) === N + 3 + M, 'the batch committed once Valkey is back', WAIT);
    assert.equal(await total(), N + M);
    await until(() => first.health.ready, 'the consumer ready again', WAIT);
  });

  it('on shutdown lets the batch in flight reach Valkey and commits it before it stops', async () => {
    const K = 20;
    const [totalBefore, committedBefore] = [await total(), await committed(first.groupId)];
    proxy.mode = 'hold';
    await produce(sales(K, 14));
    await until(() => proxy.holding >= 1, 'a batch on its way to Valkey', WAIT);
    closed.add(first);
    const closing = first.app.close();
    const server = first.app.get(BrokerBatchServer) as unknown as { closed: boolean };
    await until(() => server.closed, 'the transport to begin stopping', WAIT);
    proxy.release();
    await closing;
    // Records not yet fetched stay for the group's next member; what was applied is committed.
    const applied = (await total()) - totalBefore;
    assert.ok(applied > 0, 'the batch in flight was applied');
    assert.equal((await committed(first.groupId)) - committedBefore, applied, 'every record applied was committed before close returned');
  });
});
