import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { blackfridayScenario, relayBatchRoute, seededRandom } from '@oleada/scenarios';
import { createLogger, Metrics } from '@oleada/shared';
import Fastify, { type FastifyInstance } from 'fastify';
import { httpStatusFor, registerRelayRoutes } from './relay.routes';
import type { BatchEvent, EventOutcome, WriterCaller } from './writer-fanout';

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
    const fastify = Fastify();
    await registerRelayRoutes(fastify, { scenarios: [scenario], clients, logger: createLogger('test', 'silent'), metrics: new Metrics('relay-test'), maxInFlight, batchMax: 10 });
    return { fastify, calls };
  }
  const post = (fastify: FastifyInstance, body: unknown) =>
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
    const fastify = Fastify();
    await registerRelayRoutes(fastify, { scenarios: [scenario], clients, logger: createLogger('test', 'silent'), metrics: new Metrics('relay-shed'), maxInFlight: 5, batchMax: 10 });
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
