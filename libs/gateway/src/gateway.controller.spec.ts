import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { batchRoute, blackfridayScenario as scenario, canonicalRoute } from '@oleada/scenarios';
import { createHttpApp, createLogger, Health, idempotentEventId, METRIC_NAMES, Metrics, OpsModule, SECURITY_HEADERS, UUID_PATTERN, validationError } from '@oleada/shared';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { GatewayModule } from './gateway.module';
import { RateLimiter } from './rate-limiter';
import { RelayForwarder, type ForwardResult } from './relay-forwarder';

const valid = { categoria: 'Ropa', producto_id: 'ROPA-JEANS', precio: 199.5, cantidad_vendida: 1 };

/** A relay that accepts everything, or answers whatever `next` says. */
function fakeForwarder(next: () => ForwardResult = () => ({ status: 202, body: {} })): RelayForwarder {
  return { forward: async () => next(), close: async () => undefined } as unknown as RelayForwarder;
}

@Module({})
class TestRoot {}

/** The real Valkey `npm test` starts (VALKEY_URL, its admin user in VALKEY_USERNAME/VALKEY_PASSWORD). */
function testValkeyUrl(): string {
  const url = process.env.VALKEY_URL;
  assert.ok(url, 'VALKEY_URL is not set: run with `npm test`, which starts Valkey');
  return url;
}

/** Idempotency-Keys of this run only: the tests' Valkey outlives one spec file. */
const RUN = `${Date.now().toString(36)}-${process.pid}`;

/** The gateway as its app runs it (createHttpApp: Nest on Fastify, the one error shape), with the ops routes beside it. */
async function gateway(
  options: {
    forwarder?: RelayForwarder;
    maxInFlight?: number;
    rateLimit?: { perSecond: number; burst?: number };
    bodyTimeoutMs?: number;
    trustProxy?: string[];
    plantedCpuUs?: number;
    /** Hooks of the test's own, on the root instance. */
    hooks?: (fastify: FastifyInstance) => void;
    /** Where Idempotency-Keys are bound. @default the tests' Valkey */
    valkeyUrl?: string;
  } = {},
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(
    {
      module: TestRoot,
      imports: [
        OpsModule.forRoot(new Health(), new Metrics('gateway-test')),
        GatewayModule.forRoot({
          scenarios: [scenario],
          forwarder: options.forwarder ?? fakeForwarder(),
          relayUrl: 'http://127.0.0.1:1',
          relayConnections: 1,
          relayBatchMax: 10,
          relayBatchConcurrency: 1,
          requestTimeoutMs: options.bodyTimeoutMs ?? 10_000,
          maxInFlight: options.maxInFlight ?? 64,
          bodyLimit: 1024,
          batchMax: 10,
          rateLimit: options.rateLimit,
          valkey: { url: options.valkeyUrl ?? testValkeyUrl(), username: process.env.VALKEY_USERNAME, password: process.env.VALKEY_PASSWORD },
          idempotencyTtlSeconds: 600,
          plantedCpuUs: options.plantedCpuUs,
        }),
      ],
    },
    { logger: createLogger('gateway-test', 'silent'), health: new Health(), trustProxy: options.trustProxy },
  );
  options.hooks?.(app.getHttpAdapter().getInstance());
  return app;
}

function post(fastify: NestFastifyApplication, payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, remoteAddress?: string) {
  return fastify.inject({ method: 'POST', url: canonicalRoute(scenario), payload, headers, remoteAddress });
}

function assertSecurityHeaders(response: LightMyRequestResponse, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers[name], value, `${what}: ${name}`);
  assert.equal(response.headers['x-powered-by'], undefined, `${what}: no x-powered-by`);
}

describe('gateway answers', () => {
  let fastify: NestFastifyApplication;
  before(async () => {
    fastify = await gateway();
  });
  after(() => fastify.close());

  it('carry the security headers on every answer: accepted, invalid, malformed, oversized, wrong type, unknown route, other routes', async () => {
    const answers: Array<[string, LightMyRequestResponse, number]> = [
      ['accepted', await post(fastify, JSON.stringify(valid)), 202],
      ['invalid', await post(fastify, JSON.stringify({ ...valid, precio: -1 })), 422],
      ['malformed', await post(fastify, '{"categoria":'), 400],
      ['__proto__', await post(fastify, '{"__proto__":{"x":1}}'), 400],
      ['oversized', await post(fastify, JSON.stringify({ ...valid, producto_id: 'x'.repeat(2000) })), 413],
      ['wrong content type', await post(fastify, 'x', { 'content-type': 'text/plain' }), 415],
      ['unknown route', await fastify.inject({ method: 'GET', url: '/nope' }), 404],
      ['route outside the gateway (health)', await fastify.inject({ method: 'GET', url: '/health/live' }), 200],
    ];
    for (const [what, response, status] of answers) {
      assert.equal(response.statusCode, status, `${what}: ${response.body}`);
      assertSecurityHeaders(response, what);
    }
  });

  it('never reveal where the relay lives when it cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused.
    const forwarder = new RelayForwarder('http://127.0.0.1:1', { connections: 1, timeoutMs: 1000, batchMax: 200, batchConcurrency: 8 });
    const unreachable = await gateway({ forwarder });
    try {
      const response = await post(unreachable, JSON.stringify(valid));
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      assertSecurityHeaders(response, 'relay unreachable');
      assert.doesNotMatch(response.body, /127\.0\.0\.1|:1\b|ECONNREFUSED|Error/, response.body);
      const direct = await forwarder.forward(scenario, valid, '01930000-0000-7000-8000-000000000000', 0);
      assert.equal(direct.status, 503);
      assert.doesNotMatch(JSON.stringify(direct.body), /127\.0\.0\.1|Error/);
    } finally {
      await unreachable.close();
      await forwarder.close();
    }
  });
});

describe('gateway routes', () => {
  let app: NestFastifyApplication;
  before(async () => {
    app = await gateway();
  });
  after(() => app.close());

  const json = { 'content-type': 'application/json' };
  const send = (url: string, body: unknown, headers: Record<string, string> = json) => app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers });

  it('serve the canonical route, every alias of the scenario and its batch route', async () => {
    for (const url of [canonicalRoute(scenario), ...scenario.aliases]) {
      const response = await send(url, valid);
      assert.equal(response.statusCode, 202, `${url}: ${response.body}`);
      assert.match(response.json().id, UUID_PATTERN, url);
    }
    const batch = await send(batchRoute(scenario), [valid, valid]);
    assert.equal(batch.statusCode, 202, batch.body);
    assert.equal(batch.json().ids.length, 2);
    const get = await app.inject({ method: 'GET', url: canonicalRoute(scenario) });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');
  });

  it('answer an invalid event 422 with every problem the scenario schema found, and count it', async () => {
    const bad = { ...valid, precio: -1, extra: 1 };
    const response = await send(canonicalRoute(scenario), bad);
    assert.equal(response.statusCode, 422);
    const parsed = scenario.body.safeParse(bad);
    assert.ok(!parsed.success);
    assert.deepEqual(response.json(), validationError(parsed.error));
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, new RegExp(`${METRIC_NAMES.gatewayEvents}\\{[^}]*outcome="invalid"[^}]*\\} [1-9]`));
    assert.match(metrics, new RegExp(`${METRIC_NAMES.gatewayRequests}\\{[^}]*kind="single"[^}]*status="422"[^}]*\\} [1-9]`));
  });

  it('check the Idempotency-Key before the body of one event, after the body of a batch', async () => {
    const badKey = { ...json, 'idempotency-key': 'has space' };
    const single = await send(canonicalRoute(scenario), { ...valid, precio: -1 }, badKey);
    assert.equal(single.statusCode, 400);
    assert.equal(single.json().field, 'idempotency-key');
    const batch = await send(batchRoute(scenario), [{ ...valid, precio: -1 }], badKey);
    assert.equal(batch.statusCode, 422);
    assert.equal(batch.json().field, '[0].precio');
    assert.equal((await send(batchRoute(scenario), [valid], badKey)).statusCode, 400);
  });

  it('derive event ids from the Idempotency-Key: the same key, the same id; a batch numbers its events', async () => {
    const key = `order-42-${RUN}`;
    const first = await send(canonicalRoute(scenario), valid, { ...json, 'idempotency-key': key });
    const again = await send(canonicalRoute(scenario), valid, { ...json, 'idempotency-key': key });
    assert.equal(first.json().id, idempotentEventId(scenario.name, key));
    assert.equal(again.json().id, first.json().id);
    const batch = await send(batchRoute(scenario), [valid, valid], { ...json, 'idempotency-key': `${key}-batch` });
    assert.deepEqual(batch.json().ids, [0, 1].map((i) => idempotentEventId(scenario.name, `${key}-batch`, i)));
  });
});

describe('gateway Idempotency-Key (IETF draft): the key is bound to its first body, in Valkey', () => {
  const forwarded: Array<{ event: unknown; id: string }> = [];
  const recording = { forward: async (_s: unknown, event: unknown, id: string) => (forwarded.push({ event, id }), { status: 202, body: {} }), close: async () => undefined } as unknown as RelayForwarder;
  let one: NestFastifyApplication;
  let two: NestFastifyApplication;
  before(async () => {
    // Two replicas sharing the one Valkey, as 1-3 gateway pods do.
    one = await gateway({ forwarder: recording });
    two = await gateway({ forwarder: recording });
  });
  after(async () => {
    await one?.close();
    await two?.close();
  });
  const send = (app: NestFastifyApplication, url: string, body: unknown, key: string) =>
    app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': key } });

  it('answers the same body again with the first answer, whatever its spelling, and never forwards another body', async () => {
    const key = `same-${RUN}`;
    const first = await send(one, canonicalRoute(scenario), valid, key);
    assert.equal(first.statusCode, 202);
    // The same event: categoria by its number, fields in another order, 199.50 for 199.5; on the other replica.
    const respelled = { cantidad_vendida: 1, precio: 199.5, producto_id: 'ROPA-JEANS', categoria: 2 };
    const again = await send(two, canonicalRoute(scenario), respelled, key);
    assert.equal(again.statusCode, 202);
    assert.deepEqual(again.json(), first.json());

    const before = forwarded.length;
    const changed = await send(two, canonicalRoute(scenario), { ...valid, cantidad_vendida: 2 }, key);
    assert.equal(changed.statusCode, 422);
    assert.equal(changed.json().error, 'idempotency_key_reused');
    assert.equal(changed.json().field, 'idempotency-key');
    assert.equal(changed.json().id, first.json().id);
    assertSecurityHeaders(changed, '422');
    assert.equal(forwarded.length, before, 'the changed body was not forwarded');
    assert.equal((await send(one, canonicalRoute(scenario), valid, key)).statusCode, 202, 'the first body is still answered');
    const metrics = (await two.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, new RegExp(`${METRIC_NAMES.gatewayRequests}\\{[^}]*kind="single"[^}]*status="422"[^}]*\\} [1-9]`));
  });

  it('binds a batch as one request: the same array again is 202 with the same ids; a changed, longer or single request is 422', async () => {
    const key = `batch-${RUN}`;
    const other = { ...valid, categoria: 'Hogar' };
    const first = await send(one, batchRoute(scenario), [valid, other], key);
    assert.equal(first.statusCode, 202);
    const again = await send(two, batchRoute(scenario), [valid, other], key);
    assert.deepEqual([again.statusCode, again.json()], [202, first.json()]);
    const before = forwarded.length;
    for (const [what, url, body] of [
      ['an event changed', batchRoute(scenario), [valid, { ...other, precio: 1 }]],
      ['an event more', batchRoute(scenario), [valid, other, other]],
      ['the order changed', batchRoute(scenario), [other, valid]],
      ['one event instead of the batch', canonicalRoute(scenario), valid],
    ] as const) {
      const response = await send(two, url, body, key);
      assert.equal(response.statusCode, 422, what);
      assert.equal(response.json().field, 'idempotency-key', what);
    }
    assert.equal(forwarded.length, before, 'nothing of the changed requests was forwarded');
  });

  it('lets exactly one of two racing bodies with one key through', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}-${RUN}`;
      const answers = await Promise.all([send(one, canonicalRoute(scenario), valid, key), send(two, canonicalRoute(scenario), { ...valid, precio: 5 }, key)]);
      assert.deepEqual(answers.map((a) => a.statusCode).sort(), [202, 422], `round ${round}`);
    }
  });

  it('survives a gateway restart: a new process still knows the key', async () => {
    const key = `restart-${RUN}`;
    assert.equal((await send(one, canonicalRoute(scenario), valid, key)).statusCode, 202);
    const restarted = await gateway({ forwarder: recording });
    try {
      assert.equal((await send(restarted, canonicalRoute(scenario), { ...valid, precio: 7 }, key)).statusCode, 422);
      assert.equal((await send(restarted, canonicalRoute(scenario), valid, key)).statusCode, 202);
    } finally {
      await restarted.close();
    }
  });

  it('forwards a keyed request unchecked when Valkey cannot answer (Valkey is behind Kafka: its loss refuses nothing), and counts it', async () => {
    const blind = await gateway({ forwarder: recording, valkeyUrl: 'redis://127.0.0.1:1', bodyTimeoutMs: 2000 });
    try {
      const before = forwarded.length;
      const key = `blind-${RUN}`;
      const keyed = await send(blind, canonicalRoute(scenario), valid, key);
      assert.equal(keyed.statusCode, 202);
      const again = await send(blind, canonicalRoute(scenario), valid, key);
      assert.equal(again.statusCode, 202);
      assert.equal(again.json().id, keyed.json().id, 'the id still derives from the key, so the consumer counts it once');
      assert.equal(forwarded.length, before + 2);
      assert.equal((await post(blind, JSON.stringify(valid))).statusCode, 202);
      const metrics = await blind.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, new RegExp(`oleada_gateway_idempotency_unchecked_total\\{scenario="${scenario.name}"[^}]*\\} 2`));
    } finally {
      await blind.close();
    }
  });
});

describe('gateway rate limit', () => {
  it('answers 429 with Retry-After and a JSON body once a client spent its burst, and only that client', async () => {
    const fastify = await gateway({ rateLimit: { perSecond: 1, burst: 3 } });
    try {
      const statuses: number[] = [];
      let limited: LightMyRequestResponse | undefined;
      for (let i = 0; i < 5; i++) {
        const response = await post(fastify, JSON.stringify(valid), undefined, '10.0.0.1');
        statuses.push(response.statusCode);
        if (response.statusCode === 429) limited = response;
      }
      assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
      assert.ok(limited);
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal(limited.json().error, 'rate_limited');
      assertSecurityHeaders(limited, '429');
      assert.equal((await post(fastify, JSON.stringify(valid), undefined, '10.0.0.2')).statusCode, 202, 'another client is not limited');
    } finally {
      await fastify.close();
    }
  });

  it('behind a trusted proxy limits the client its X-Forwarded-For names; from anyone else the header changes nothing', async () => {
    const fastify = await gateway({ rateLimit: { perSecond: 1, burst: 1 }, trustProxy: ['10.244.0.0/16'] });
    const from = (peer: string, forwardedFor: string) =>
      post(fastify, JSON.stringify(valid), { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, peer).then((r) => r.statusCode);
    try {
      // the proxy (10.244.0.7) relays two clients: each has its own budget
      assert.deepEqual([await from('10.244.0.7', '198.51.100.1'), await from('10.244.0.7', '198.51.100.2'), await from('10.244.0.7', '198.51.100.1')], [202, 202, 429]);
      // a client the proxy saw behind another trusted hop is still the first untrusted address
      assert.equal(await from('10.244.0.7', '198.51.100.3, 10.244.0.9'), 202);
      assert.equal(await from('10.244.0.7', '198.51.100.3'), 429, 'the same client, whatever trusted hops it came through');
      // an untrusted peer cannot pick a fresh address per request: it is limited by its own
      assert.deepEqual([await from('203.0.113.5', '198.51.100.10'), await from('203.0.113.5', '198.51.100.11')], [202, 429]);
    } finally {
      await fastify.close();
    }
  });

  it('is off unless configured', async () => {
    const fastify = await gateway();
    try {
      const statuses = await Promise.all(Array.from({ length: 50 }, () => post(fastify, JSON.stringify(valid)).then((r) => r.statusCode)));
      assert.deepEqual(new Set(statuses), new Set([202]));
    } finally {
      await fastify.close();
    }
  });
});

describe('gateway body deadline', () => {
  it('closes a request whose body never arrives and frees its in-flight slot', { timeout: 60_000 }, async () => {
    // Opened by hand once the stalled request holds its slot: a root preParsing hook runs after
    // every onRequest hook, the gateway's counting one included, and before the body is read.
    let holdsSlot!: () => void;
    const stalledHoldsSlot = new Promise<void>((resolve) => (holdsSlot = resolve));
    const fastify = await gateway({
      maxInFlight: 1,
      bodyTimeoutMs: 1500,
      hooks: (f) => f.addHook('preParsing', async (request) => void (request.headers['x-stalled'] && holdsSlot())),
    });
    try {
      await fastify.listen(0, '127.0.0.1');
      const { port } = fastify.getHttpServer().address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`POST ${canonicalRoute(scenario)} HTTP/1.1\r\nHost: t\r\nX-Stalled: 1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"`);
      await stalledHoldsSlot;
      assert.equal((await post(fastify, JSON.stringify(valid))).statusCode, 503, 'the stalled request holds the only slot');
      await closed; // the gateway closes it at the deadline (else the test fails on its timeout)
      assert.equal((await post(fastify, JSON.stringify(valid))).statusCode, 202, 'the slot is free again');
    } finally {
      await fastify.close();
    }
  });
});

describe('gateway planted CPU (OLEADA_PLANTED_CPU_US, the A/B bench calibration)', () => {
  it('burns at least the planted CPU on every event request, and still accepts it', async () => {
    const app = await gateway({ plantedCpuUs: 20_000 });
    try {
      // inject runs the request in this process, so its CPU includes every spin.
      const start = process.cpuUsage();
      for (let i = 0; i < 5; i++) assert.equal((await post(app, JSON.stringify(valid))).statusCode, 202);
      const used = process.cpuUsage(start);
      assert.ok(used.user + used.system >= 5 * 20_000, `${used.user + used.system} µs of CPU for 5 requests with 20,000 µs planted each`);
    } finally {
      await app.close();
    }
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then one request per 1/rate seconds, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, burst: 2 }, () => now);
    assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 0);
    const wait = limiter.take('a');
    assert.ok(Math.abs(wait - 0.1) < 1e-9, `wait ${wait}`);
    now += 100;
    assert.equal(limiter.take('a'), 0);
    assert.ok(limiter.take('a') > 0);
    now += 10_000;
    assert.equal(limiter.take('a'), 0, 'refilled, but never beyond the burst');
    assert.equal(limiter.take('a'), 0);
    assert.ok(limiter.take('a') > 0);
  });

  it('remembers at most maxClients, forgetting the least recently seen', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, maxClients: 3 }, () => 0);
    for (const client of ['a', 'b', 'c']) assert.equal(limiter.take(client), 0);
    assert.ok(limiter.take('a') > 0, 'a spent its burst');
    limiter.take('d'); // forgets b, the least recently seen
    assert.equal(limiter.size, 3);
    assert.equal(limiter.take('b'), 0, 'b comes back with a full bucket');
    assert.ok(limiter.take('a') > 0, 'a, seen more recently than c, is still remembered as spent');
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new RateLimiter({ perSecond: 0 }), /perSecond/);
  });
});
