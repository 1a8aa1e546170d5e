import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { blackfridayScenario as scenario, canonicalRoute } from '@oleada/scenarios';
import { createLogger, Metrics, SECURITY_HEADERS } from '@oleada/shared';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { registerGatewayRoutes } from './gateway.routes';
import { RateLimiter } from './rate-limiter';
import { RelayForwarder, type ForwardResult } from './relay-forwarder';

const valid = { categoria: 'Ropa', producto_id: 'ROPA-JEANS', precio: 199.5, cantidad_vendida: 1 };

/** A relay that accepts everything, or answers whatever `next` says. */
function fakeForwarder(next: () => ForwardResult = () => ({ status: 202, body: {} })): RelayForwarder {
  return { forward: async () => next(), close: async () => undefined } as unknown as RelayForwarder;
}

async function gateway(
  options: {
    forwarder?: RelayForwarder;
    maxInFlight?: number;
    rateLimit?: { perSecond: number; burst?: number };
    bodyTimeoutMs?: number;
    /** Hooks of the test's own, added before the gateway's. */
    hooks?: (fastify: FastifyInstance) => void;
  } = {},
): Promise<FastifyInstance> {
  const fastify = Fastify({ bodyLimit: 1024 * 1024 });
  options.hooks?.(fastify);
  fastify.get('/health/live', async () => ({ status: 'live' }));
  await registerGatewayRoutes(fastify, {
    scenarios: [scenario],
    forwarder: options.forwarder ?? fakeForwarder(),
    logger: createLogger('gateway-test', 'silent'),
    metrics: new Metrics('gateway-test'),
    maxInFlight: options.maxInFlight ?? 64,
    bodyLimit: 1024,
    batchMax: 10,
    rateLimit: options.rateLimit,
    bodyTimeoutMs: options.bodyTimeoutMs,
  });
  await fastify.ready();
  return fastify;
}

function post(fastify: FastifyInstance, payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, remoteAddress?: string) {
  return fastify.inject({ method: 'POST', url: canonicalRoute(scenario), payload, headers, remoteAddress });
}

function assertSecurityHeaders(response: LightMyRequestResponse, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers[name], value, `${what}: ${name}`);
  assert.equal(response.headers['x-powered-by'], undefined, `${what}: no x-powered-by`);
}

describe('gateway answers', () => {
  let fastify: FastifyInstance;
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
      ['route outside the gateway scope', await fastify.inject({ method: 'GET', url: '/health/live' }), 200],
    ];
    for (const [what, response, status] of answers) {
      assert.equal(response.statusCode, status, `${what}: ${response.body}`);
      assertSecurityHeaders(response, what);
    }
  });

  it('never reveal where the relay lives when it cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused.
    const forwarder = new RelayForwarder('http://127.0.0.1:1', { connections: 1, timeoutMs: 1000 });
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
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      const { port } = fastify.server.address() as AddressInfo;
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
