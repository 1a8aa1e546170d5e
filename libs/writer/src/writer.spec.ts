import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createKafka, createPublisher, ensureTopics, type BrokerConfig, type EventPublisher, type OutgoingRecord } from '@oleada/broker';
import { health as healthProto, writerBatch } from '@oleada/contracts';
import { blackfridayScenario, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { createHttpApp, createLogger, freePort, Health, idempotentEventId, Metrics, METRIC_NAMES, OpsModule, until, uuidv7 } from '@oleada/shared';
import { writerGrpcOptions } from './grpc-server.options';
import { WriterModule, type WriterModuleOptions } from './writer.module';
import { BATCH_SERVICE_NAME } from './writer.service';

// Runs against the real Kafka that `npm test` starts (KAFKA_BROKERS): the writer as its app wires it
// (createHttpApp with WriterModule and the gRPC transport of writerGrpcOptions), called over gRPC.
const brokers = process.env.KAFKA_BROKERS;
const logger = createLogger('writer-spec', 'silent');
const run = `writer-spec-${Date.now().toString(36)}`;
const topic = `${run}.blackfriday.sales`;
/** Black Friday on a topic of this spec's own; the writer checks and routes as for the real one. */
const scenario: AnyScenario = { ...blackfridayScenario, topics: [topic], route: () => topic };
const method = scenario.grpc.service[scenario.grpc.method];
const sale = () => scenario.toMessage(scenario.body.parse(scenario.sample(seededRandom(3))));

function kafkaConfig(list: string): BrokerConfig {
  return { BROKER: 'kafka', KAFKA_BROKERS: list.split(','), KAFKA_SSL: false };
}


/** The real publisher, with a gate: while held, a record's publish resolves only after Kafka acknowledged it and the test let it go. */
class GatedPublisher implements EventPublisher {
  readonly published: OutgoingRecord[] = [];
  private readonly waiting: Array<() => void> = [];
  holding = false;
  constructor(private readonly real: EventPublisher) {}
  get connected(): boolean {
    return this.real.connected;
  }
  get held(): number {
    return this.waiting.length;
  }
  connect(): Promise<void> {
    return this.real.connect();
  }
  flush(): Promise<void> {
    return this.real.flush();
  }
  disconnect(): Promise<void> {
    return this.real.disconnect();
  }
  async publish(record: OutgoingRecord): Promise<void> {
    await this.real.publish(record);
    this.published.push(record);
    if (this.holding) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    this.holding = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

@Module({})
class SpecRoot {}

interface RunningWriter {
  readonly app: NestFastifyApplication;
  readonly client: Client;
  readonly health: Health;
  readonly metrics: Metrics;
}

async function startWriter(name: string, options: Pick<WriterModuleOptions, 'broker' | 'publisher'> & { shutdownTimeoutMs?: number }): Promise<RunningWriter> {
  const port = await freePort();
  const health = new Health();
  const metrics = new Metrics(name);
  const writer: WriterModuleOptions = { name, scenarios: [scenario], seed: 0, lingerMs: 2, batchMax: 100, shutdownTimeoutMs: 600_000, ...options };
  const app = await createHttpApp(
    { module: SpecRoot, imports: [OpsModule.forRoot(health, metrics, logger), WriterModule.forRoot(writer)] },
    { logger, health, microservices: [writerGrpcOptions([scenario], port, '127.0.0.1')] },
  );
  await app.startAllMicroservices();
  return { app, client: new Client(`127.0.0.1:${port}`, credentials.createInsecure()), health, metrics };
}

interface Answer {
  readonly code: status;
  readonly details: string;
  readonly value?: unknown;
}

/** The scenario's own unary method (ProcesarVenta), as a client generated from its .proto calls it. */
function sendEvent(client: Client, message: unknown, metadata = new Metadata(), deadline?: number): Promise<Answer> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, message, metadata, deadline ? { deadline } : {}, (error, value) =>
      resolve(error ? { code: error.code, details: error.details } : { code: status.OK, details: '', value }),
    ),
  );
}

function writeBatch(client: Client, request: writerBatch.WriteBatchRequest): Promise<writerBatch.WriteBatchResponse> {
  const def = writerBatch.EventBatchServiceService.writeBatch;
  return new Promise((resolve, reject) => client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, new Metadata(), (error, value) => (error ? reject(error) : resolve(value!))));
}

function healthCheck(client: Client, service: string): Promise<healthProto.HealthCheckResponse_ServingStatus | status> {
  const def = healthProto.HealthService.check;
  return new Promise((resolve) => client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, { service }, new Metadata(), (error, value) => resolve(error ? error.code : value!.status)));
}

/** The id in a scenario answer (`accepted: event <id> is durable in the broker`). */
function idIn(answer: Answer): string | undefined {
  return /event (\S+) is durable/.exec(JSON.stringify(answer.value))?.[1];
}

const withKey = (key: string) => {
  const metadata = new Metadata();
  metadata.set('idempotency-key', key);
  return metadata;
};


describe('writer over gRPC, publishing to the real Kafka', () => {
  let publisher: GatedPublisher;
  let writer: RunningWriter;

  before(async () => {
    assert.ok(brokers, 'KAFKA_BROKERS is not set: run with `npm test` (tools/scripts/run-tests.mjs starts Kafka)');
    await ensureTopics(createKafka({ brokers: brokers.split(','), clientId: run }, logger), [{ topic, partitions: 1 }]);
    publisher = new GatedPublisher(createPublisher(kafkaConfig(brokers), { name: run, logger, queues: [], lingerMs: 2 }));
    await publisher.connect();
    writer = await startWriter(`${run}-a`, { broker: kafkaConfig(brokers), publisher });
  });
  after(async () => {
    publisher?.release();
    writer?.client.close();
    await writer?.app.close();
    await publisher?.disconnect();
  });

  it('answers only once Kafka acknowledged the event, and the record carries the id it answered with', async () => {
    publisher.holding = true;
    let answered = false;
    const first = sendEvent(writer.client, sale()).then((answer) => ((answered = true), answer));
    await until(() => publisher.held === 1, 'the first event acknowledged by Kafka and held');
    publisher.holding = false;
    // A second call on the same channel gets its answer while the first is still held.
    assert.equal((await sendEvent(writer.client, sale())).code, status.OK);
    assert.equal(answered, false, 'no answer before the acknowledgement reached the writer');
    publisher.release();
    const answer = await first;
    assert.equal(answer.code, status.OK, answer.details);
    const id = idIn(answer);
    assert.ok(id, JSON.stringify(answer.value));
    const record = publisher.published.find((r) => r.headers['x-event-id'] === id);
    assert.ok(record, 'the answered id is the id of the record in Kafka');
    assert.equal(record.topic, topic);
    assert.equal(record.headers['x-scenario'], 'blackfriday');
    assert.equal(record.headers['x-writer'], `${run}-a`);
    assert.deepEqual(method.requestDeserialize(record.value), sale(), 'the record holds the message as sent');
  });

  it('refuses a wrong message with INVALID_ARGUMENT naming the field, and publishes nothing', async () => {
    const before = publisher.published.length;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ categoria: 0 }, /^categoria 0/],
      [{ productoId: '' }, /^producto_id/],
      [{ precio: -1 }, /^precio -1/],
      [{ cantidadVendida: 0 }, /^cantidad_vendida 0/],
    ];
    for (const [change, field] of cases) {
      const answer = await sendEvent(writer.client, { ...sale(), ...change });
      assert.equal(answer.code, status.INVALID_ARGUMENT, JSON.stringify(change));
      assert.match(answer.details, field);
    }
    assert.equal(publisher.published.length, before);
    const metrics = await writer.metrics.render();
    assert.match(metrics, new RegExp(`${METRIC_NAMES.writerEvents}\\{[^}]*scenario="blackfriday"[^}]*outcome="invalid"[^}]*\\} 4\\b`));
  });

  it('derives the event id from an idempotency-key entry as the gateway does, gives a new one without, and refuses a malformed key', async () => {
    const first = await sendEvent(writer.client, sale(), withKey('order-17'));
    const again = await sendEvent(writer.client, sale(), withKey('order-17'));
    const other = await sendEvent(writer.client, sale(), withKey('order-18'));
    assert.equal(idIn(first), idempotentEventId('blackfriday', 'order-17'));
    assert.equal(idIn(again), idIn(first), 'a retry with the same key is the same event');
    assert.equal(idIn(other), idempotentEventId('blackfriday', 'order-18'));
    const [a, b] = [await sendEvent(writer.client, sale()), await sendEvent(writer.client, sale())];
    assert.notEqual(idIn(a), idIn(b));
    assert.match(idIn(a) ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a new UUIDv7');
    const given = uuidv7();
    const relayed = new Metadata();
    relayed.set('x-event-id', given);
    relayed.set('idempotency-key', 'order-17');
    assert.equal(idIn(await sendEvent(writer.client, sale(), relayed)), given, 'an id the relay passes along is kept');

    const before = publisher.published.length;
    for (const key of ['has space', 'x'.repeat(201)]) {
      const answer = await sendEvent(writer.client, sale(), withKey(key));
      assert.equal(answer.code, status.INVALID_ARGUMENT, key);
      assert.match(answer.details, /^idempotency-key /);
    }
    assert.equal(publisher.published.length, before, 'nothing published for a malformed key');
  });

  it('answers each event of an EventBatchService call on its own, and refuses a call for a scenario it does not serve', async () => {
    const ok = uuidv7();
    const encoded = Buffer.from(scenario.encode(sale()));
    const { outcomes } = await writeBatch(writer.client, {
      scenario: 'blackfriday',
      events: [
        { eventId: ok, acceptedAt: 1700000000000, payload: encoded, traceparent: '' },
        { eventId: 'not-a-uuid', acceptedAt: 0, payload: encoded, traceparent: '' },
        { eventId: uuidv7(), acceptedAt: 0, payload: Buffer.from([0xff, 0xff, 0xff]), traceparent: '' },
        { eventId: uuidv7(), acceptedAt: 0, payload: Buffer.from(scenario.encode({ ...sale(), precio: -1 })), traceparent: '' },
      ],
    });
    assert.deepEqual(
      outcomes.map((o) => o.code),
      [status.OK, status.INVALID_ARGUMENT, status.INVALID_ARGUMENT, status.INVALID_ARGUMENT],
    );
    assert.match(outcomes[1].detail, /UUID/);
    assert.match(outcomes[2].detail, /not a valid message/);
    assert.match(outcomes[3].detail, /^precio/);
    const record = publisher.published.find((r) => r.headers['x-event-id'] === ok);
    assert.equal(record?.headers['x-accepted-at'], '1700000000000', 'the time the gateway accepted it travels along');
    await assert.rejects(writeBatch(writer.client, { scenario: 'weather', events: [] }), (error: { code: status; details: string }) => error.code === status.INVALID_ARGUMENT && /not served/.test(error.details));
  });

  it('on shutdown refuses new calls with UNAVAILABLE and answers the calls in flight before the server closes', async () => {
    const draining = await startWriter(`${run}-drain`, { broker: kafkaConfig(brokers!), publisher });
    const watch = draining.client.makeServerStreamRequest(
      healthProto.HealthService.watch.path,
      healthProto.HealthService.watch.requestSerialize,
      healthProto.HealthService.watch.responseDeserialize,
      { service: '' },
      new Metadata(),
    ) as ClientReadableStream<healthProto.HealthCheckResponse>;
    const watchEnded = new Promise<void>((resolve) => {
      watch.on('data', () => undefined);
      watch.on('end', resolve);
      watch.on('error', () => resolve());
    });
    publisher.holding = true;
    const inFlight = sendEvent(draining.client, sale());
    await until(() => publisher.held === 1, 'an event in flight');
    const closed = draining.app.close();
    await watchEnded; // the health streams end as the drain begins
    const refused = await sendEvent(draining.client, sale());
    assert.equal(refused.code, status.UNAVAILABLE);
    assert.equal(refused.details, 'writer is shutting down');
    publisher.release();
    assert.equal((await inFlight).code, status.OK, 'the call in flight got its answer');
    await closed;
    draining.client.close();
  });

  it('on shutdown with a call stuck past the drain budget, closes once its caller gives up (the relay\'s deadline)', async () => {
    const stuck = await startWriter(`${run}-stuck`, { broker: kafkaConfig(brokers!), publisher, shutdownTimeoutMs: 1000 });
    publisher.holding = true;
    // The relay calls with a deadline; nothing here releases the held acknowledgement before it passes.
    const inFlight = sendEvent(stuck.client, sale(), new Metadata(), Date.now() + 10_000);
    await until(() => publisher.held === 1, 'an event in flight');
    const closed = stuck.app.close();
    const answer = await inFlight;
    assert.equal(answer.code, status.DEADLINE_EXCEEDED, answer.details);
    await closed; // the graceful close ends with the cancelled call, not with the acknowledgement
    stuck.client.close();
    publisher.release();
  });
});

describe('writer keeping its own Kafka connection', () => {
  let writer: RunningWriter;

  before(async () => {
    assert.ok(brokers, 'KAFKA_BROKERS is not set: run with `npm test` (tools/scripts/run-tests.mjs starts Kafka)');
    await ensureTopics(createKafka({ brokers: brokers.split(','), clientId: `${run}-own` }, logger), [{ topic, partitions: 1 }]);
    // No publisher given: the module makes one and its lifecycle connects it, as in the app.
    writer = await startWriter(`${run}-own`, { broker: kafkaConfig(brokers), shutdownTimeoutMs: 2000 });
  });
  after(async () => {
    writer?.client.close();
    await writer?.app.close();
  });

  it('reports itself ready and SERVING (the server, its scenario and the batch service) once connected, and publishes', async () => {
    await until(() => writer.health.report().checks.broker === 'up', 'readiness to follow the broker connection');
    assert.equal(writer.health.ready, true);
    await until(async () => (await healthCheck(writer.client, '')) === healthProto.HealthCheckResponse_ServingStatus.SERVING, 'gRPC health SERVING');
    for (const service of [scenario.grpc.serviceName, BATCH_SERVICE_NAME]) {
      assert.equal(await healthCheck(writer.client, service), healthProto.HealthCheckResponse_ServingStatus.SERVING, service);
    }
    const answer = await sendEvent(writer.client, sale());
    assert.equal(answer.code, status.OK, answer.details);
  });
});

describe('writer with Kafka out of reach', () => {
  let writer: RunningWriter;

  before(async () => {
    // The module makes and keeps connecting its own publisher, as in the app; nothing listens on this port.
    writer = await startWriter(`${run}-down`, { broker: kafkaConfig(`127.0.0.1:${await freePort()}`), shutdownTimeoutMs: 2000 });
  });
  after(async () => {
    writer?.client.close();
    await writer?.app.close();
  });

  it('answers UNAVAILABLE (retry elsewhere), never OK, and reports itself not serving and not ready', async () => {
    const answer = await sendEvent(writer.client, sale());
    assert.equal(answer.code, status.UNAVAILABLE);
    assert.equal(answer.details, 'broker unavailable');
    const { outcomes } = await writeBatch(writer.client, { scenario: 'blackfriday', events: [{ eventId: uuidv7(), acceptedAt: 0, payload: Buffer.from(scenario.encode(sale())), traceparent: '' }] });
    assert.deepEqual(
      outcomes.map((o) => [o.code, o.detail]),
      [[status.UNAVAILABLE, 'broker unavailable']],
    );
    assert.equal(await healthCheck(writer.client, ''), healthProto.HealthCheckResponse_ServingStatus.NOT_SERVING);
    assert.equal(await healthCheck(writer.client, scenario.grpc.serviceName), healthProto.HealthCheckResponse_ServingStatus.NOT_SERVING);
    assert.equal(await healthCheck(writer.client, 'weather.WeatherService'), status.NOT_FOUND, 'a service it does not serve is unknown');
    assert.deepEqual(writer.health.report().checks, { broker: 'down' });
    assert.match(await writer.metrics.render(), new RegExp(`${METRIC_NAMES.writerEvents}\\{[^}]*outcome="unavailable"[^}]*\\} 2\\b`));
  });
});
