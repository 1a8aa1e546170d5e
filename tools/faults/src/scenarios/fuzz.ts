import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { expectedSales, hashDelta } from '@oleada/local';
import { batchRoute, canonicalRoute, CATEGORIES, type SaleBody } from '@oleada/scenarios';
import { readAggregates } from '@oleada/valkey-schema';
import fc from 'fast-check';
import { Pool } from 'undici';
import { z } from 'zod';
import { scenario, type FaultSuite } from '../harness';

/** The gateway's defaults (apps/gateway/src/config.ts). */
const BODY_LIMIT = 65_536;
const BATCH_MAX = 500;
const BATCH_BODY_LIMIT = 1024 * 1024;

const BODIES_PER_RUN = 25;
const RUNS = 400; // 10,000 bodies

/** One generated request. */
interface FuzzCase {
  readonly route: string;
  readonly contentType: string;
  readonly text: string;
  /** What the generator meant; only for the failure message. */
  readonly kind: string;
}

const validSale = fc.record({
  categoria: fc.oneof(fc.constantFrom(...CATEGORIES), fc.integer({ min: 1, max: CATEGORIES.length })),
  producto_id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  precio: fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100),
  cantidad_vendida: fc.integer({ min: 1, max: 10_000 }),
});

/** Values no field should accept, or only some should: wrong types, edge numbers, unicode, structures. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324, 0, -1, 1.005, 0.001, 999_999.999, 1_000_000, 1_000_000.01, 1e21, 10_001, 4.5, 5, '1', 'Ropa ', 'ropa', '', null, true, [], {}),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

const FIELDS = ['categoria', 'producto_id', 'precio', 'cantidad_vendida'] as const;
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'descuento', 'CATEGORIA', ''];

/** A JSON object text with one extra key (written as text: `__proto__` cannot be set as an own key by assignment). */
function withExtraKey(sale: object, key: string, value: unknown): string {
  const inner = JSON.stringify(sale).slice(1);
  return `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}${inner === '}' ? '}' : `,${inner}`}`;
}

/** A valid sale broken in one way. */
const mutatedSale: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(validSale, fc.constantFrom(...FIELDS)).map(([sale, field]) => {
    const copy: Record<string, unknown> = { ...sale };
    delete copy[field];
    return JSON.stringify(copy);
  }),
  fc.tuple(validSale, fc.constantFrom(...FIELDS), hostileValue).map(([sale, field, value]) => JSON.stringify({ ...sale, [field]: value })),
  fc.tuple(validSale, fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 10 })), hostileValue).map(([sale, key, value]) => withExtraKey(sale, key, value)),
  fc.tuple(validSale, fc.constantFrom(...FIELDS)).map(([sale, field]) => JSON.stringify({ ...sale, [field]: String(sale[field]) })),
  validSale.map((sale) => `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(sale).slice(1)}`),
  validSale.map((sale) => JSON.stringify(sale).replace('"precio":', '"precio":-1,"precio":')),
  validSale.map((sale) => JSON.stringify(sale).replace(/"precio":[^,}]+/, '"precio":1e999')),
  validSale.map((sale) => JSON.stringify(sale).replace(/"precio":[^,}]+/, '"precio":NaN')),
);

/** Valid sales written unusually: unicode escapes, a byte-order mark, whitespace, another key order. */
const unusualValidText: fc.Arbitrary<string> = fc.oneof(
  validSale.map((sale) => JSON.stringify(sale).replace(/[A-Za-z]/g, (c) => (c === 'a' ? '\\u0061' : c))),
  validSale.map((sale) => `\ufeff${JSON.stringify(sale)}`),
  validSale.map((sale) => JSON.stringify(sale, null, 2)),
  validSale.map((sale) => JSON.stringify(Object.fromEntries(Object.entries(sale).reverse()))),
);

const deepNesting: fc.Arbitrary<string> = fc.integer({ min: 100, max: 30_000 }).chain((depth) =>
  fc.constantFrom('[', '{"a":').map((open) => (open === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
);

const bodyText: fc.Arbitrary<{ text: string; kind: string }> = fc.oneof(
  { weight: 30, arbitrary: validSale.map((s) => ({ text: JSON.stringify(s), kind: 'valid' })) },
  { weight: 8, arbitrary: unusualValidText.map((text) => ({ text, kind: 'valid, unusual text' })) },
  { weight: 32, arbitrary: mutatedSale.map((text) => ({ text, kind: 'mutated sale' })) },
  { weight: 10, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => ({ text: JSON.stringify(v) ?? 'null', kind: 'arbitrary JSON' })) },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text, kind: 'arbitrary text' })) },
  { weight: 5, arbitrary: fc.tuple(validSale, fc.nat()).map(([s, n]) => ({ text: JSON.stringify(s).slice(0, n % JSON.stringify(s).length), kind: 'truncated JSON' })) },
  { weight: 3, arbitrary: deepNesting.map((text) => ({ text, kind: 'deep nesting' })) },
  { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT - 100, max: BODY_LIMIT + 5000 }).map((n) => ({ text: JSON.stringify({ categoria: 'Ropa', producto_id: 'x'.repeat(n), precio: 1, cantidad_vendida: 1 }), kind: 'oversized' })) },
);

const batchText: fc.Arbitrary<{ text: string; kind: string }> = fc.oneof(
  fc.array(validSale, { minLength: 1, maxLength: 20 }).map((sales) => ({ text: JSON.stringify(sales), kind: 'valid batch' })),
  fc.array(fc.oneof(validSale.map((s) => JSON.stringify(s)), mutatedSale), { minLength: 0, maxLength: 20 }).map((items) => ({ text: `[${items.join(',')}]`, kind: 'mixed batch' })),
  fc.integer({ min: BATCH_MAX + 1, max: BATCH_MAX + 3 }).map((n) => ({ text: JSON.stringify(Array.from({ length: n }, () => ({ categoria: 1, producto_id: 'X', precio: 1, cantidad_vendida: 1 }))), kind: 'batch too large' })),
);

const contentType: fc.Arbitrary<string> = fc.oneof(
  { weight: 80, arbitrary: fc.constant('application/json') },
  { weight: 6, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=latin1') },
  { weight: 8, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-patch+json', 'text/json', '*/*', '') },
  { weight: 6, arbitrary: fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,38}[\x21-\x7e]$/) },
);

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 85, arbitrary: fc.record({ route: fc.constantFrom(canonicalRoute(scenario), ...scenario.aliases), contentType, body: bodyText }) },
  { weight: 15, arbitrary: fc.record({ route: fc.constant(batchRoute(scenario)), contentType, body: batchText }) },
).map(({ route, contentType, body }) => ({ route, contentType, text: body.text, kind: body.kind }));

const batchSchema = z.array(scenario.body).min(1).max(BATCH_MAX);
const STANDARD_JSON = new Set(['application/json', 'application/json; charset=utf-8']);

/** The sales a body holds if the gateway must accept it, else undefined (decided without the gateway). */
function validSales(c: FuzzCase): SaleBody[] | undefined {
  const batch = c.route === batchRoute(scenario);
  if (Buffer.byteLength(c.text) > (batch ? BATCH_BODY_LIMIT : BODY_LIMIT)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(c.text.replace(/^\ufeff/, '')); // a leading byte-order mark is allowed
  } catch {
    return undefined;
  }
  const parsed = batch ? batchSchema.safeParse(value) : scenario.body.safeParse(value);
  if (!parsed.success) return undefined;
  return batch ? (parsed.data as SaleBody[]) : [parsed.data as SaleBody];
}

/** ≥ 10,000 generated bodies against the live gateway: no 5xx for bad input, valid ones counted, invalid ones change nothing. */
export function fuzzTests(suite: FaultSuite): void {
  it(`property: ${BODIES_PER_RUN * RUNS} generated bodies, valid and hostile — never a 5xx for bad input, 202 only for valid ones, each counted once`, async () => {
    const pool = new Pool(suite.stack.gatewayUrl, { connections: BODIES_PER_RUN, pipelining: 1 });
    const before = await readAggregates(suite.admin, scenario.aggregates, suite.keys);
    const baseline = await suite.total();
    const accepted: SaleBody[] = [];
    const acceptedIds = new Set<string>();
    const byStatus: Record<string, number> = {};
    const byKind: Record<string, number> = {};
    let bodies = 0;
    let requests = 0;
    let unavailable = 0;
    let next = 0;

    const send = async (c: FuzzCase): Promise<{ status: number; ids: string[] }> => {
      const key = suite.key('fuzz', next++);
      for (let attempt = 0; ; attempt++) {
        const response = await pool.request({
          path: c.route,
          method: 'POST',
          headers: { ...(c.contentType === '' ? {} : { 'content-type': c.contentType }), 'idempotency-key': key },
          body: c.text,
        });
        const text = await response.body.text();
        requests++;
        // A valid event may meet a transient 503 (as any client would, it retries with its key).
        if (response.statusCode === 503 && validSales(c) && attempt < 20) {
          unavailable++;
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        let json: { id?: string; ids?: string[] } = {};
        try {
          json = JSON.parse(text) as typeof json;
        } catch {
          json = {};
        }
        return { status: response.statusCode, ids: json.ids ?? (json.id ? [json.id] : []) };
      }
    };

    const seed = Date.now() % 2 ** 31;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fuzzCase, { minLength: BODIES_PER_RUN, maxLength: BODIES_PER_RUN }), async (cases) => {
          const answers = await Promise.all(cases.map(send));
          cases.forEach((c, i) => {
            const { status, ids } = answers[i];
            const sales = validSales(c);
            const what = `${c.kind} to ${c.route} as "${c.contentType}" (${c.text.length} chars: ${c.text.slice(0, 120)}) answered ${status}`;
            bodies++;
            byStatus[status] = (byStatus[status] ?? 0) + 1;
            byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
            assert.ok(status < 500, `no 5xx: ${what}`);
            if (status === 202) {
              assert.ok(sales, `202 only for a valid body: ${what}`);
              assert.equal(ids.length, sales.length, `one id per event: ${what}`);
              for (const id of ids) acceptedIds.add(id);
              accepted.push(...sales);
            } else {
              assert.ok(status >= 400, `a 4xx JSON error: ${what}`);
              if (sales && STANDARD_JSON.has(c.contentType)) assert.fail(`a valid body sent as ${c.contentType} must be accepted: ${what}`);
            }
          });
        }),
        { numRuns: RUNS, seed, endOnFailure: true },
      );
    } finally {
      await pool.close();
    }

    const { counted, missingIds } = await suite.settle(baseline, [...acceptedIds]);
    const after = await readAggregates(suite.admin, scenario.aggregates, suite.keys);
    const expected = expectedSales(accepted);
    const aggregatesMatch =
      isDeepStrictEqual(hashDelta(after.hashes.reports, before.hashes.reports), expected.reports) &&
      isDeepStrictEqual(hashDelta(after.hashes.units, before.hashes.units), expected.units) &&
      isDeepStrictEqual(hashDelta(after.hashes.revenue_cents, before.hashes.revenue_cents), expected.revenue);
    const rejected = Object.entries(byStatus).filter(([s]) => s !== '202');
    suite.results.fault({
      id: '08-fuzz',
      fault: `fast-check: ${bodies} generated bodies (valid, mutated, arbitrary JSON and text, deep nesting, unicode, huge numbers, __proto__/constructor keys, random content types) at every route`,
      sent: accepted.length,
      accepted: acceptedIds.size,
      counted,
      lost: acceptedIds.size - counted,
      duplicated: counted - acceptedIds.size,
      requests,
      status503: unavailable,
      otherServerErrors: Object.entries(byStatus).filter(([s]) => Number(s) >= 500).reduce((n, [, v]) => n + v, 0),
      notes: `${bodies - rejected.reduce((n, [, v]) => n + v, 0)} bodies accepted (${accepted.length} events), ${rejected.map(([s, n]) => `${n}× ${s}`).join(', ')}; aggregates ${aggregatesMatch ? 'match' : 'DIFFER from'} the accepted events; seed ${seed}`,
      passed: counted === acceptedIds.size && missingIds === 0 && aggregatesMatch && acceptedIds.size === accepted.length,
    });
    assert.ok(bodies >= 10_000, `${bodies} bodies`);
    assert.equal(acceptedIds.size, accepted.length, 'every accepted event has its own id');
    assert.equal(counted, acceptedIds.size, 'valid events counted exactly once; invalid ones counted never');
    assert.equal(missingIds, 0);
    assert.ok(aggregatesMatch, 'per-category reports, units and revenue changed by exactly the accepted events');
  });
}
