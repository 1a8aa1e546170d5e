import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchRoute, blackfridayScenario as scenario, canonicalRoute, seededRandom, type SaleBody } from '@oleada/scenarios';
import { readAggregates, ScenarioKeys, type AggregateSnapshot } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';
import { repoRoot } from '../infra/paths';
import { postEvents } from '../load';
import { AppProcess } from '../stack/processes';
import { LocalStack } from '../stack/stack';
import { testServers, testValkey } from '../testing';

const keys = new ScenarioKeys(scenario.name);

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: response.status, json, retryAfter: response.headers.get('retry-after') };
}

async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

function expectedDelta(bodies: readonly SaleBody[]) {
  const out = { total: bodies.length, reports: {} as Record<string, number>, units: {} as Record<string, number>, revenue: {} as Record<string, number> };
  for (const body of bodies) {
    const r = scenario.decode(scenario.encode(scenario.toMessage(body)), { eventId: '', acceptedAt: 0, topic: '' });
    out.reports[r.categoria] = (out.reports[r.categoria] ?? 0) + 1;
    out.units[r.categoria] = (out.units[r.categoria] ?? 0) + r.quantity;
    out.revenue[r.categoria] = (out.revenue[r.categoria] ?? 0) + r.priceCents * r.quantity;
  }
  return out;
}

function diff(after: Record<string, number> = {}, before: Record<string, number> = {}) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

async function settle(valkey: Valkey, expectedTotal: number, baseline: AggregateSnapshot): Promise<AggregateSnapshot> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await readAggregates(valkey, scenario.aggregates, keys);
    if ((now.counters.total ?? 0) - (baseline.counters.total ?? 0) >= expectedTotal || Date.now() > deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // late duplicates would show up here
      return readAggregates(valkey, scenario.aggregates, keys);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** gateway → relay → writers → Kafka → consumer → Valkey, every hop a real process. */
describe('the Black Friday pipeline end to end', () => {
  let stack: LocalStack;
  let valkey: Valkey;
  let url: string;

  before(async () => {
    const { kafkaBrokers, valkeyUrl } = testServers();
    valkey = await testValkey();
    stack = new LocalStack({ kafkaBrokers, valkeyUrl, portOffset: 300, logDir: join(repoRoot(), '.cache/run/logs-e2e') });
    await stack.start();
    await stack.waitCaughtUp();
    url = stack.gatewayUrl;
  });

  after(async () => {
    valkey?.disconnect();
    if (stack) {
      const codes = await stack.stop();
      assert.deepEqual(
        Object.values(codes).filter((code) => code !== 0),
        [],
        `every app exits 0 after SIGTERM: ${JSON.stringify(codes)}`,
      );
    }
  });

  it('counts exactly what was accepted: all routes, batches, Idempotency-Key replays, invalid events', async () => {
    const before = await readAggregates(valkey, scenario.aggregates, keys);
    const random = seededRandom(2026);
    const accepted: SaleBody[] = [];

    const singles = Array.from({ length: 300 }, () => scenario.sample(random));
    const paths = [canonicalRoute(scenario), ...scenario.aliases];
    for (const [i, path] of paths.entries()) {
      const part = singles.filter((_, j) => j % paths.length === i);
      const sent = await postEvents({ baseUrl: url, path, bodies: part, concurrency: 32 });
      assert.deepEqual(new Set(sent.results.map((r) => r.status)), new Set([202]), `${path}`);
      accepted.push(...part);
    }

    const batch = Array.from({ length: 50 }, () => scenario.sample(random));
    const batchAnswer = await post(`${url}${batchRoute(scenario)}`, JSON.stringify(batch));
    assert.equal(batchAnswer.status, 202);
    assert.equal((batchAnswer.json.ids as string[]).length, 50);
    accepted.push(...batch);

    // 40 events sent three times each with the same Idempotency-Key: same id, counted once.
    const keyed = Array.from({ length: 40 }, () => scenario.sample(random));
    const ids = new Map<number, Set<string>>();
    for (let round = 0; round < 3; round++) {
      const sent = await postEvents({ baseUrl: url, path: canonicalRoute(scenario), bodies: keyed, concurrency: 16, headersFor: (i) => ({ 'idempotency-key': `e2e-${i}-${before.counters.total}` }) });
      for (const r of sent.results) {
        assert.equal(r.status, 202);
        ids.set(r.index, (ids.get(r.index) ?? new Set()).add(r.id as string));
      }
    }
    assert.ok([...ids.values()].every((set) => set.size === 1), 'a replayed key always gets the same id');
    accepted.push(...keyed);

    // Invalid events are answered 4xx and never counted.
    const invalid = Array.from({ length: 30 }, (_, i) => ({ ...scenario.sample(random), cantidad_vendida: -i }));
    const rejected = await postEvents({ baseUrl: url, path: canonicalRoute(scenario), bodies: invalid, concurrency: 8 });
    assert.ok(rejected.results.every((r) => r.status === 422));

    const after = await settle(valkey, accepted.length, before);
    const expected = expectedDelta(accepted);
    assert.equal((after.counters.total ?? 0) - (before.counters.total ?? 0), expected.total, 'accepted == counted');
    assert.deepEqual(diff(after.hashes.reports, before.hashes.reports), expected.reports);
    assert.deepEqual(diff(after.hashes.units, before.hashes.units), expected.units);
    assert.deepEqual(diff(after.hashes.revenue_cents, before.hashes.revenue_cents), expected.revenue);
  });

  it('rejects bad input with the right status and a JSON body naming the field, forwarding nothing', async () => {
    const valid = { categoria: 'Ropa', producto_id: 'ROPA-JEANS', precio: 199.5, cantidad_vendida: 1 };
    const json = (body: unknown) => JSON.stringify(body);
    const cases: Array<{ name: string; body: string | Buffer; headers?: Record<string, string>; status: number; field: string }> = [
      { name: 'malformed JSON', body: '{"categoria": "Ropa",', status: 400, field: '(body)' },
      { name: 'empty body', body: '', status: 400, field: '(body)' },
      { name: 'array instead of object', body: json([valid]), status: 422, field: '(body)' },
      { name: 'wrong type: price as string', body: json({ ...valid, precio: '199.5' }), status: 422, field: 'precio' },
      { name: 'wrong type: quantity as string', body: json({ ...valid, cantidad_vendida: '1' }), status: 422, field: 'cantidad_vendida' },
      { name: 'unknown category', body: json({ ...valid, categoria: 'Juguetes' }), status: 422, field: 'categoria' },
      { name: 'category 0', body: json({ ...valid, categoria: 0 }), status: 422, field: 'categoria' },
      { name: 'zero quantity', body: json({ ...valid, cantidad_vendida: 0 }), status: 422, field: 'cantidad_vendida' },
      { name: 'negative quantity', body: json({ ...valid, cantidad_vendida: -3 }), status: 422, field: 'cantidad_vendida' },
      { name: 'negative price', body: json({ ...valid, precio: -1 }), status: 422, field: 'precio' },
      { name: 'NaN price', body: '{"categoria":"Ropa","producto_id":"X","precio":NaN,"cantidad_vendida":1}', status: 400, field: '(body)' },
      { name: 'huge price', body: json({ ...valid, precio: 1e300 }), status: 422, field: 'precio' },
      { name: 'null price', body: json({ ...valid, precio: null }), status: 422, field: 'precio' },
      { name: 'missing field', body: json({ categoria: 'Ropa', precio: 1, cantidad_vendida: 1 }), status: 422, field: 'producto_id' },
      { name: 'extra field', body: json({ ...valid, descuento: 5 }), status: 422, field: 'descuento' },
      { name: '__proto__ key', body: '{"__proto__":{"admin":true},"categoria":"Ropa","producto_id":"X","precio":1,"cantidad_vendida":1}', status: 400, field: '__proto__' },
      { name: 'constructor.prototype key', body: '{"constructor":{"prototype":{"admin":true}},"categoria":"Ropa"}', status: 400, field: 'constructor' },
      { name: 'oversized body', body: json({ ...valid, producto_id: 'x'.repeat(70_000) }), status: 413, field: '(body)' },
      { name: 'wrong content type', body: json(valid), headers: { 'content-type': 'text/plain' }, status: 415, field: 'content-type' },
      { name: 'form content type', body: 'categoria=Ropa', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, field: 'content-type' },
      { name: 'bad Idempotency-Key', body: json(valid), headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(300) }, status: 400, field: 'idempotency-key' },
      { name: 'empty batch', body: '[]', status: 422, field: '(body)' },
    ];
    const relayPort = Number(new URL(url).port) + 1;
    const relayBefore = await metricSum(relayPort, 'oleada_relay_requests_total');
    const before = await readAggregates(valkey, scenario.aggregates, keys);
    for (const c of cases) {
      const path = c.name === 'empty batch' ? batchRoute(scenario) : canonicalRoute(scenario);
      const answer = await post(`${url}${path}`, c.body, c.headers);
      assert.equal(answer.status, c.status, `${c.name}: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.json.field, c.field, `${c.name}: ${JSON.stringify(answer.json)}`);
      assert.equal(typeof answer.json.error, 'string', c.name);
      assert.ok(!/at .*\.js:\d+/.test(JSON.stringify(answer.json)), `${c.name}: no stack trace in the answer`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await readAggregates(valkey, scenario.aggregates, keys);
    assert.deepEqual(after.counters, before.counters, 'counters unchanged');
    assert.deepEqual(after.hashes, before.hashes, 'aggregates unchanged');
    assert.equal(await metricSum(relayPort, 'oleada_relay_requests_total'), relayBefore, 'nothing was forwarded to the relay');
  });

  it('serves liveness, readiness and Prometheus metrics on every app', async () => {
    for (const app of stack.apps) {
      const base = `http://127.0.0.1:${app.spec.port}`;
      assert.equal((await fetch(`${base}/health/live`)).status, 200, app.spec.name);
      const ready = await fetch(`${base}/health/ready`);
      assert.equal(ready.status, 200, app.spec.name);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, new RegExp(`service="${app.spec.name}"`), app.spec.name);
      assert.match(metrics, /^# TYPE oleada_\w+ (counter|histogram|gauge)$/m, app.spec.name);
    }
  });

  it('answers 503 with Retry-After, never 2xx, while the relay is down, and recovers', async () => {
    await stack.relay.stop();
    const before = await readAggregates(valkey, scenario.aggregates, keys);
    const answer = await post(`${url}${canonicalRoute(scenario)}`, JSON.stringify(scenario.sample(seededRandom(5))));
    assert.equal(answer.status, 503);
    assert.equal(answer.retryAfter, '1');
    assert.equal(typeof answer.json.id, 'string');
    stack.relay.start();
    await stack.relay.waitReady();
    const again = await post(`${url}${canonicalRoute(scenario)}`, JSON.stringify(scenario.sample(seededRandom(5))));
    assert.equal(again.status, 202);
    const after = await settle(valkey, 1, before);
    assert.equal((after.counters.total ?? 0) - (before.counters.total ?? 0), 1);
  });
});

describe('gateway limits and configuration', () => {
  it('sheds load beyond MAX_IN_FLIGHT with a fast 503', async () => {
    // A relay that accepts connections and never answers: requests pile up in the gateway.
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const relayPort = (silent.address() as { port: number }).port;
    const gateway = new AppProcess(
      { name: 'gateway-limits', app: 'gateway', port: 18480, env: { RELAY_URL: `http://127.0.0.1:${relayPort}`, MAX_IN_FLIGHT: '4', REQUEST_TIMEOUT_MS: '3000', LOG_LEVEL: 'warn' } },
      repoRoot(),
      join(repoRoot(), '.cache/run/logs-e2e'),
    );
    gateway.start();
    try {
      await gateway.waitReady();
      const body = JSON.stringify(scenario.sample(seededRandom(3)));
      const stuck = Array.from({ length: 4 }, () => post(`http://127.0.0.1:18480${canonicalRoute(scenario)}`, body));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      const shed = await post(`http://127.0.0.1:18480${canonicalRoute(scenario)}`, body);
      const shedMs = Date.now() - started;
      assert.equal(shed.status, 503);
      assert.equal(shed.retryAfter, '1');
      assert.equal(shed.json.error, 'overloaded');
      assert.ok(shedMs < 1000, `shed answer took ${shedMs} ms`);
      const timedOut = await Promise.all(stuck);
      assert.deepEqual(timedOut.map((r) => r.status), [503, 503, 503, 503], 'a relay that never answers gives 503 after the deadline, not 2xx');
    } finally {
      await gateway.stop();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('stops at start-up with a message naming each missing or bad variable', () => {
    const run = (app: string, env: Record<string, string>) =>
      spawnSync(process.execPath, [join(repoRoot(), 'apps', app, 'dist', 'main.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });
    const gateway = run('gateway', { PORT: 'eighty' });
    assert.equal(gateway.status, 78);
    assert.match(gateway.stderr, /RELAY_URL is required but not set/);
    assert.match(gateway.stderr, /PORT is invalid/);
    const relay = run('relay', {});
    assert.equal(relay.status, 78);
    assert.match(relay.stderr, /WRITER_TARGETS is required/);
    const writer = run('writer', { KAFKA_BROKERS: 'x:1', SCENARIOS: 'blackfriday', LINGER_MS: '-1' });
    assert.equal(writer.status, 78);
    assert.match(writer.stderr, /LINGER_MS is invalid/);
    const consumer = run('consumer', { KAFKA_BROKERS: 'x:1' });
    assert.equal(consumer.status, 78);
    assert.match(consumer.stderr, /VALKEY_URL is required/);
    const unknownScenario = run('writer', { KAFKA_BROKERS: 'x:1', SCENARIOS: 'nope' });
    assert.notEqual(unknownScenario.status, 0);
    assert.match(unknownScenario.stderr, /unknown scenario "nope"/);
  });
});
