/**
 * The end-to-end checks every scenario and broker must pass, registered as node:test suites by
 * the e2e specs: post events through the gateway of a real LocalStack and compare what Valkey
 * shows, on every broker path, with what was accepted; refuse bad input without a trace.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchRoute, canonicalRoute, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { aggregateKeys, operationsFor, ScenarioKeys } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';
import { repoRoot } from '../infra/paths';
import { postEvents, scrapeMetric, waitFor } from '../load';
import { LocalStack, type StackBroker } from '../stack/stack';
import { listeningAddresses, TEST_STACK_ENV, testConsumerCredential, testPortOffset, testRabbitMQ, testServers, testValkey } from '../testing';

/** One POST and its answer. */
export async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
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

/** A request the gateway must refuse: its status, and the field the JSON error names. */
export interface BadInput {
  readonly name: string;
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly field: string;
  /** @default the canonical route */
  readonly path?: string;
}

/** What a scenario brings to the shared checks. */
export interface PipelineCase {
  readonly scenario: AnyScenario;
  /** Bad inputs only this scenario has (the ones every scenario has are added). */
  readonly badInputs: readonly BadInput[];
  /** Turns a valid body into one the gateway answers 422 (the `i`-th of a few). */
  readonly invalid: (body: Record<string, unknown>, i: number) => unknown;
  /**
   * Maps a written key and field to what the test can predict. Identity unless the writer
   * decides part of the outcome (olympics: winner or loser), in which case the alternatives are
   * merged and their sums compared.
   */
  readonly project?: (key: string, field: string) => readonly [string, string];
}

/** Key/field → value of everything additive a scenario writes (hashes, means, counters; `''` is a counter's field). */
type Writes = Record<string, Record<string, number>>;

function add(into: Writes, key: string, field: string, value: number): void {
  const fields = (into[key] ??= {});
  fields[field] = (fields[field] ?? 0) + value;
}

/** The keys whose deltas are compared: additive aggregates only (min/max and rankings are not sums). */
function additiveKeys(scenario: AnyScenario, keys: ScenarioKeys): Array<{ key: string; counter: boolean }> {
  return scenario.aggregates
    .filter((a) => a.kind === 'hash' || a.kind === 'mean' || a.kind === 'counter')
    .flatMap((a) => aggregateKeys(a, keys).map((key) => ({ key, counter: a.kind === 'counter' })));
}

/** Current values of the additive keys, in one pipeline. */
export async function readWrites(valkey: Valkey, scenario: AnyScenario, keys: ScenarioKeys): Promise<Writes> {
  const targets = additiveKeys(scenario, keys);
  const pipeline = valkey.pipeline();
  for (const t of targets) {
    if (t.counter) pipeline.get(t.key);
    else pipeline.hgetall(t.key);
  }
  const replies = (await pipeline.exec()) ?? [];
  const out: Writes = {};
  targets.forEach((t, i) => {
    const [error, value] = replies[i];
    if (error) throw error;
    if (t.counter) add(out, t.key, '', Number(value ?? 0));
    else for (const [field, v] of Object.entries(value as Record<string, string>)) add(out, t.key, field, Number(v));
  });
  return out;
}

/** What accepted bodies must add, computed through the same wire encoding, decoding and aggregate declarations the pipeline uses. */
export function expectedWrites(scenario: AnyScenario, keys: ScenarioKeys, bodies: readonly unknown[]): Writes {
  const wanted = new Set(additiveKeys(scenario, keys).map((t) => t.key));
  const out: Writes = {};
  for (const body of bodies) {
    const message = scenario.toMessage(scenario.body.parse(body));
    // Any topic the writer could choose; `project` merges what depends on the choice.
    const topic = scenario.route(message, () => 0);
    const record = scenario.decode(scenario.encode(message), { eventId: 'e', acceptedAt: 0, topic });
    for (const op of operationsFor(scenario.aggregates, keys, record, 0)) {
      if (wanted.has(op.key)) add(out, op.key, op.field, op.value);
    }
  }
  return out;
}

/** `after - before`, projected, without zero entries. */
export function writesDelta(after: Writes, before: Writes, project: PipelineCase['project'] = (k, f) => [k, f]): Writes {
  const out: Writes = {};
  for (const [key, fields] of Object.entries(after)) {
    for (const [field, value] of Object.entries(fields)) {
      const [k, f] = project(key, field);
      add(out, k, f, value - (before[key]?.[field] ?? 0));
    }
  }
  for (const fields of Object.values(out)) for (const [f, v] of Object.entries(fields)) if (v === 0) delete fields[f];
  for (const [k, fields] of Object.entries(out)) if (Object.keys(fields).length === 0) delete out[k];
  return out;
}

/** The bad inputs every scenario shares: transport, JSON, size, content type, headers, batches. */
export function commonBadInputs(scenario: AnyScenario): BadInput[] {
  const valid = JSON.stringify(scenario.sample(seededRandom(1)));
  return [
    { name: 'malformed JSON', body: valid.slice(0, -3), status: 400, field: '(body)' },
    { name: 'empty body', body: '', status: 400, field: '(body)' },
    { name: 'array instead of object', body: `[${valid}]`, status: 422, field: '(body)' },
    { name: 'a JSON string', body: '"hello"', status: 422, field: '(body)' },
    { name: '__proto__ key', body: `{"__proto__":{"admin":true},${valid.slice(1)}`, status: 400, field: '__proto__' },
    { name: 'constructor.prototype key', body: `{"constructor":{"prototype":{"admin":true}},${valid.slice(1)}`, status: 400, field: 'constructor' },
    { name: 'extra field', body: `{"unexpected":1,${valid.slice(1)}`, status: 422, field: 'unexpected' },
    { name: 'oversized body', body: `{"pad":"${'x'.repeat(70_000)}",${valid.slice(1)}`, status: 413, field: '(body)' },
    { name: 'wrong content type', body: valid, headers: { 'content-type': 'text/plain' }, status: 415, field: 'content-type' },
    { name: 'form content type', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, field: 'content-type' },
    { name: 'bad Idempotency-Key', body: valid, headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(300) }, status: 400, field: 'idempotency-key' },
    { name: 'empty batch', body: '[]', status: 422, field: '(body)', path: batchRoute(scenario) },
  ];
}

/** Shared state of one stack's suite, for checks a spec adds beside the shared ones. */
export interface PipelineContext {
  readonly stack: LocalStack;
  readonly valkey: Valkey;
  readonly url: string;
  /** The key builders of every broker path of a scenario (one, or one per broker when both run). */
  keysOf(scenario: AnyScenario): ScenarioKeys[];
  /** Waits until every path counted `expected` more events than `before` (and stays there). */
  settle(scenario: AnyScenario, before: Writes[], expected: number): Promise<Writes[]>;
}

/**
 * Registers one suite: a LocalStack serving every case's scenario through `broker`, and for each
 * scenario the exactness test and the bad-input table, checked on every broker path; then the
 * health of every app, and whatever `more` adds.
 */
export function describePipeline(options: {
  readonly title: string;
  readonly broker: StackBroker;
  /** Added to the apps' ports (and to OLEADA_TEST_PORT_OFFSET). */
  readonly portOffset: number;
  readonly cases: readonly PipelineCase[];
  readonly more?: (context: () => PipelineContext) => void;
}): void {
  describe(options.title, () => {
    let stack: LocalStack;
    let valkey: Valkey;
    let context: PipelineContext;

    before(async () => {
      const { kafkaBrokers, valkeyUrl } = testServers();
      const rabbitmq = options.broker === 'kafka' ? undefined : testRabbitMQ();
      valkey = await testValkey();
      stack = new LocalStack({
        kafkaBrokers,
        valkeyUrl,
        valkeyCredential: testConsumerCredential(),
        rabbitmq,
        broker: options.broker,
        scenarios: options.cases.map((c) => c.scenario.name),
        portOffset: testPortOffset(options.portOffset),
        logDir: join(repoRoot(), '.cache/run', `logs-e2e-${options.broker}`),
        env: TEST_STACK_ENV,
      });
      await stack.start();
      await stack.waitCaughtUp();
      const keysOf = (scenario: AnyScenario) => stack.paths.map((p) => new ScenarioKeys(scenario.name, { variant: p.variant }));
      context = {
        stack,
        valkey,
        url: stack.gatewayUrl,
        keysOf,
        async settle(scenario, before, expected) {
          const totals = (writes: Writes[]) => writes.map((w) => Object.entries(w).find(([key]) => key.endsWith(':total'))?.[1][''] ?? 0);
          const baseline = totals(before);
          const read = () => Promise.all(keysOf(scenario).map((keys) => readWrites(valkey, scenario, keys)));
          await waitFor(async () => totals(await read()).every((n, i) => n - baseline[i] >= expected), 300_000, `${expected} more ${scenario.name} events on every path`).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 1500)); // late duplicates would show up here
          return read();
        },
      };
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

    /** Every path counted exactly `accepted` since `before`, in every aggregate. */
    async function assertCounted(c: PipelineCase, before: Writes[], accepted: readonly unknown[]): Promise<void> {
      const { scenario } = c;
      const afterWrites = await context.settle(scenario, before, accepted.length);
      context.keysOf(scenario).forEach((keys, i) => {
        const path = `${scenario.name} via ${context.stack.paths[i].broker}`;
        const expected = writesDelta(expectedWrites(scenario, keys, accepted), {}, c.project);
        assert.equal(writesDelta(afterWrites[i], before[i])[keys.metric('total')]?.[''], accepted.length, `${path}: accepted == counted`);
        assert.deepEqual(writesDelta(afterWrites[i], before[i], c.project), expected, `${path}: every aggregate`);
      });
    }

    for (const c of options.cases) {
      const { scenario } = c;

      it(`${scenario.name}: counts exactly what was accepted on every path — all routes, a batch, Idempotency-Key replays, invalid events`, async () => {
        const { url } = context;
        const keysList = context.keysOf(scenario);
        const before = await Promise.all(keysList.map((keys) => readWrites(valkey, scenario, keys)));
        const random = seededRandom(2026);
        const accepted: unknown[] = [];

        const singles = Array.from({ length: 240 }, () => scenario.sample(random));
        const paths = [canonicalRoute(scenario), ...scenario.aliases];
        for (const [i, path] of paths.entries()) {
          const part = singles.filter((_, j) => j % paths.length === i);
          const sent = await postEvents({ baseUrl: url, path, bodies: part, concurrency: 32 });
          assert.deepEqual(new Set(sent.results.map((r) => r.status)), new Set([202]), `${path}`);
          accepted.push(...part);
        }

        const batch = Array.from({ length: 50 }, () => scenario.sample(random));
        const batchAnswer = await post(`${url}${batchRoute(scenario)}`, JSON.stringify(batch));
        assert.equal(batchAnswer.status, 202, JSON.stringify(batchAnswer.json));
        assert.equal((batchAnswer.json.ids as string[]).length, 50);
        accepted.push(...batch);

        // 30 events sent three times each with the same Idempotency-Key: same id, counted once.
        const keyed = Array.from({ length: 30 }, () => scenario.sample(random));
        const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        const ids = new Map<number, Set<string>>();
        for (let round = 0; round < 3; round++) {
          const sent = await postEvents({ baseUrl: url, path: canonicalRoute(scenario), bodies: keyed, concurrency: 16, headersFor: (i) => ({ 'idempotency-key': `e2e-${run}-${i}` }) });
          for (const r of sent.results) {
            assert.equal(r.status, 202);
            ids.set(r.index, (ids.get(r.index) ?? new Set()).add(r.id as string));
          }
        }
        assert.ok([...ids.values()].every((set) => set.size === 1), 'a replayed key always gets the same id');
        accepted.push(...keyed);

        // Invalid events are answered 422 and never counted.
        const invalid = Array.from({ length: 20 }, (_, i) => c.invalid(scenario.sample(random) as Record<string, unknown>, i));
        const rejected = await postEvents({ baseUrl: url, path: canonicalRoute(scenario), bodies: invalid, concurrency: 8 });
        assert.deepEqual(new Set(rejected.results.map((r) => r.status)), new Set([422]));

        await assertCounted(c, before, accepted);
      });

      it(`${scenario.name}: binds an Idempotency-Key to its first body — the same body again gets the first answer, another body 422 and is never counted`, async () => {
        const { url } = context;
        const before = await Promise.all(context.keysOf(scenario).map((keys) => readWrites(valkey, scenario, keys)));
        const random = seededRandom(4711);
        const [a, b, c1, c2] = Array.from({ length: 4 }, () => scenario.sample(random));
        assert.notDeepEqual(b, a);
        const key = `e2e-reuse-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        const send = (path: string, body: unknown, k: string) => post(`${url}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'idempotency-key': k });

        const first = await send(canonicalRoute(scenario), a, key);
        assert.equal(first.status, 202, JSON.stringify(first.json));
        const again = await send(canonicalRoute(scenario), a, key);
        assert.deepEqual([again.status, again.json], [202, first.json], 'the same body: the first answer again');
        const changed = await send(canonicalRoute(scenario), b, key);
        assert.equal(changed.status, 422, JSON.stringify(changed.json));
        assert.equal(changed.json.field, 'idempotency-key');
        assert.equal(changed.json.error, 'idempotency_key_reused');

        const batchKey = `${key}-batch`;
        const batch = await send(batchRoute(scenario), [c1, c2], batchKey);
        assert.equal(batch.status, 202, JSON.stringify(batch.json));
        const batchAgain = await send(batchRoute(scenario), [c1, c2], batchKey);
        assert.deepEqual([batchAgain.status, batchAgain.json], [202, batch.json]);
        for (const body of [[c1, b], [c1, c2, b]]) {
          const refused = await send(batchRoute(scenario), body, batchKey);
          assert.deepEqual([refused.status, refused.json.field], [422, 'idempotency-key'], JSON.stringify(refused.json));
        }
        await assertCounted(c, before, [a, c1, c2]);
      });

      it(`${scenario.name}: rejects bad input with the right status and a JSON body naming the field, forwarding nothing`, async () => {
        const { url, stack } = context;
        const keysList = context.keysOf(scenario);
        const relayPort = stack.relay.spec.port;
        const relayBefore = await scrapeMetric(relayPort, 'oleada_relay_requests_total');
        const before = await Promise.all(keysList.map((keys) => readWrites(valkey, scenario, keys)));
        for (const bad of [...commonBadInputs(scenario), ...c.badInputs]) {
          const answer = await post(`${url}${bad.path ?? canonicalRoute(scenario)}`, bad.body, bad.headers);
          assert.equal(answer.status, bad.status, `${bad.name}: ${JSON.stringify(answer.json)}`);
          assert.equal(answer.json.field, bad.field, `${bad.name}: ${JSON.stringify(answer.json)}`);
          assert.equal(typeof answer.json.error, 'string', bad.name);
          assert.ok(!/at .*\.js:\d+/.test(JSON.stringify(answer.json)), `${bad.name}: no stack trace in the answer`);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const after = await Promise.all(keysList.map((keys) => readWrites(valkey, scenario, keys)));
        assert.deepEqual(after, before, 'aggregates unchanged on every path');
        assert.equal(await scrapeMetric(relayPort, 'oleada_relay_requests_total'), relayBefore, 'nothing was forwarded to the relay');
      });
    }

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

    it('listens on loopback only: every port of every app, the writers\' gRPC included', () => {
      for (const app of stack.apps) {
        const listening = listeningAddresses(app.pid as number);
        const ports = [app.spec.port, ...(app.spec.env.GRPC_PORT ? [Number(app.spec.env.GRPC_PORT)] : [])];
        for (const port of ports) assert.ok(listening.some((a) => a.endsWith(`:${port}`)), `${app.spec.name} listens on ${port}: ${listening.join(', ')}`);
        assert.deepEqual(
          listening.filter((a) => !a.startsWith('127.0.0.1:')),
          [],
          `${app.spec.name} listens on ${listening.join(', ')}`,
        );
      }
    });

    it('answers an unknown path 404 and a wrong method 405 with Allow, in the one error shape', async () => {
      const route = canonicalRoute(options.cases[0].scenario);
      const wrongMethod = await fetch(`${context.url}${route}`, { method: 'GET' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'POST');
      assert.deepEqual(Object.keys((await wrongMethod.json()) as object).sort(), ['error', 'field', 'message']);
      const unknown = await post(`${context.url}/api/v1/nowhere/events`, '{}');
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.json, { error: 'not_found', message: 'no route POST /api/v1/nowhere/events', field: '(path)' });
    });

    options.more?.(() => context);
  });
}
