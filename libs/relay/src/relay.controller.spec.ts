import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { blackfridayScenario, relayBatchRoute, relayRoute, seededRandom } from '@oleada/scenarios';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, createLogger, Health, Metrics, OpsModule } from '@oleada/shared';
import { RelayModule } from './relay.module';
import { httpStatusFor } from './relay.service';
import type { BatchEvent, EventOutcome, WriterCaller } from './writer-caller';

@Module({})
class TestRoot {}

/** The relay as its app runs it (createHttpApp: Nest on Fastify, the one error shape), its writers faked. */
function relayApp(writers: WriterCaller, options: { name: string; maxInFlight: number }): Promise<NestFastifyApplication> {
  return createHttpApp(
    {
      module: TestRoot,
      imports: [
        OpsModule.forRoot(new Health(), new Metrics(options.name)),
        RelayModule.forRoot({ scenarios: [blackfridayScenario], writers, writerGroups: [], deadlineMs: 1000, maxInFlight: options.maxInFlight, batchMax: 10 }),
      ],
    },
    { logger: createLogger('test', 'silent'), health: new Health() },
  );
}

describe('gRPC status → HTTP', () => {
  it('maps caller errors to 422, transient faults to 503/504, the rest to 502', () => {
    assert.equal(httpStatusFor(status.INVALID_ARGUMENT), 422);
    assert.equal(httpStatusFor(status.UNAVAILABLE), 503);
    assert.equal(httpStatusFor(status.RESOURCE_EXHAUSTED), 503);
    assert.equal(httpStatusFor(status.DEADLINE_EXCEEDED), 504);
    assert.equal(httpStatusFor(status.INTERNAL), 502);
    assert.equal(httpStatusFor(status.UNKNOWN), 502);
  });
});

describe('relay batch route', () => {
  const scenario = blackfridayScenario;
  const valid = scenario.sample(seededRandom(5));
  const id = (n: number) => `01930000-0000-7000-8000-${String(n).padStart(12, '0')}`;

  /** A relay whose writers answer with `decide` per event, recording what they were given. */
  async function relay(decide: (event: BatchEvent) => EventOutcome, maxInFlight = 100) {
    const calls: BatchEvent[][] = [];
    const clients: WriterCaller = {
      call: () => Promise.reject(new Error('the batch route must not use the unary call')),
      callBatch: async (_scenario, events) => (calls.push([...events]), events.map(decide)),
      close: () => undefined,
    };
    const fastify = await relayApp(clients, { name: 'relay-test', maxInFlight });
    return { fastify, calls };
  }
  const post = (fastify: NestFastifyApplication, body: unknown) =>
    fastify.inject({ method: 'POST', url: relayBatchRoute(scenario), headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  it('hands every valid event to the writers in one call and answers each in order', async () => {
    const { fastify, calls } = await relay((event) => (event.eventId === id(2) ? { code: status.UNAVAILABLE, detail: 'broker unavailable' } : { code: status.OK, detail: '' }));
    const response = await post(fastify, {
      events: [
        { id: id(1), acceptedAt: 1700000000000, event: valid },
        { id: id(2), acceptedAt: 1700000000001, event: valid },
        { id: id(3), acceptedAt: 1700000000002, event: { ...valid, cantidad_vendida: -1 } },
        { id: id(4), acceptedAt: 1700000000003, event: valid },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    const { results } = response.json() as { results: Array<{ id: string; status: number; field?: string }> };
    assert.deepEqual(
      results.map((r) => [r.id, r.status]),
      [
        [id(1), 202],
        [id(2), 503],
        [id(3), 422],
        [id(4), 202],
      ],
    );
    assert.equal(results[2].field, 'cantidad_vendida');
    assert.equal(calls.length, 1, 'one writer call for the whole batch');
    assert.deepEqual(
      calls[0].map((e) => [e.eventId, e.acceptedAt]),
      [
        [id(1), 1700000000000],
        [id(2), 1700000000001],
        [id(4), 1700000000003],
      ],
      'the invalid event never reaches a writer',
    );
    assert.deepEqual(calls[0][0].message, scenario.toMessage(scenario.body.parse(valid)));
    await fastify.close();
  });

  it('refuses a malformed batch with 400 naming the field, and calls no writer', async () => {
    const { fastify, calls } = await relay(() => ({ code: status.OK, detail: '' }));
    const cases: Array<[unknown, string]> = [
      [{ events: [] }, 'events'],
      [{ events: [{ id: 'nope', acceptedAt: 1, event: valid }] }, 'events[0].id'],
      [{ events: [{ id: id(1), acceptedAt: -5, event: valid }] }, 'events[0].acceptedAt'],
      [{ events: [{ id: id(1), acceptedAt: 1, event: valid, extra: 1 }] }, 'events[0].extra'],
      [{ events: Array.from({ length: 11 }, (_, i) => ({ id: id(i), acceptedAt: 1, event: valid })) }, 'events'],
    ];
    for (const [body, field] of cases) {
      const response = await post(fastify, body);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal((response.json() as { field: string }).field, field, response.body);
    }
    assert.equal(calls.length, 0);
    await fastify.close();
  });

  it('sheds a batch that would take it past MAX_IN_FLIGHT with 503 and Retry-After', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const calls: number[] = [];
    const clients: WriterCaller = {
      call: () => Promise.reject(new Error('unused')),
      callBatch: async (_scenario, events) => {
        calls.push(events.length);
        await held;
        return events.map(() => ({ code: status.OK, detail: '' }));
      },
      close: () => undefined,
    };
    const fastify = await relayApp(clients, { name: 'relay-shed', maxInFlight: 5 });
    const batch = (from: number, n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ id: id(from + i), acceptedAt: 1, event: valid })) });
    const first = post(fastify, batch(0, 4));
    while (calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const shed = await post(fastify, batch(10, 2));
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.headers['retry-after'], '1');
    release();
    assert.equal((await first).statusCode, 200);
    assert.equal((await post(fastify, batch(20, 2))).statusCode, 200, 'accepted again once the first batch finished');
    await fastify.close();
  });
});

describe('relay single-event route', () => {
  const scenario = blackfridayScenario;
  const valid = scenario.sample(seededRandom(7));
  const eventId = '01930000-0000-7000-8000-000000000001';

  it('answers 202 once the writer acknowledged, 400 without a UUID id, 422 naming the id, 503 at capacity before checking', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    const writers: WriterCaller = {
      call: async (_scenario, _message, id) => {
        calls.push(id);
        if (calls.length === 2) await held;
      },
      callBatch: () => Promise.reject(new Error('unused')),
      close: () => undefined,
    };
    const app = await relayApp(writers, { name: 'relay-single', maxInFlight: 1 });
    const send = (body: unknown, id?: string) =>
      app.inject({ method: 'POST', url: relayRoute(scenario), headers: { 'content-type': 'application/json', ...(id ? { 'x-event-id': id } : {}) }, payload: JSON.stringify(body) });
    try {
      const accepted = await send(valid, eventId);
      assert.equal(accepted.statusCode, 202, accepted.body);
      assert.deepEqual(accepted.json(), { id: eventId });
      const noId = await send(valid);
      assert.equal(noId.statusCode, 400);
      assert.equal(noId.json().field, 'x-event-id');
      const invalid = await send({ ...valid, cantidad_vendida: -1 }, eventId);
      assert.equal(invalid.statusCode, 422);
      assert.equal(invalid.json().id, eventId);
      assert.equal(invalid.json().field, 'cantidad_vendida');
      const holding = send(valid, eventId);
      while (calls.length < 2) await new Promise((resolve) => setImmediate(resolve));
      const shed = await send({ not: 'checked' });
      assert.equal(shed.statusCode, 503, 'capacity is checked before the id and the body');
      assert.equal(shed.headers['retry-after'], '1');
      release();
      assert.equal((await holding).statusCode, 202);
      assert.deepEqual(calls, [eventId, eventId], 'neither the invalid event nor the shed one reached a writer');
    } finally {
      await app.close();
    }
  });
});
