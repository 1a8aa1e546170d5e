/**
 * A client that knows only a scenario's published .proto — no Oleada metadata, no generated code
 * of ours — calling a writer's unary method, as the seed projects' clients do. Registered by the
 * Kafka pipeline spec beside its other checks: its events must be served and counted exactly
 * once, and its wrong fields refused by name.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { seededRandom, type AnyScenario } from '@oleada/scenarios';
import { repoRoot } from '../infra/paths';
import type { PipelineCase, PipelineContext } from './pipeline-suite';
import { expectedWrites, readWrites, writesDelta } from './pipeline-suite';

/** The .proto a spec-only client compiles, per scenario: Black Friday's as its spec prints it. */
const SPEC_PROTOS: Record<string, string> = {
  blackfriday: 'tools/local/src/e2e/spec-protos/blackfriday.proto',
  weather: 'proto/weather.proto',
  olympics: 'proto/olympics.proto',
};

/** Messages the writer must refuse, in the proto's own field names, and the field each names. */
const WRONG_FIELDS: Record<string, ReadonlyArray<{ readonly change: Record<string, unknown>; readonly field: string }>> = {
  blackfriday: [
    { change: { categoria: 0 }, field: 'categoria' },
    { change: { producto_id: '' }, field: 'producto_id' },
    { change: { precio: -5 }, field: 'precio' },
    { change: { cantidad_vendida: 0 }, field: 'cantidad_vendida' },
  ],
  weather: [
    { change: { municipality: 0 }, field: 'municipality' },
    { change: { temperature: 99 }, field: 'temperature' },
    { change: { humidity: 150 }, field: 'humidity' },
    { change: { weather: 0 }, field: 'weather' },
  ],
  olympics: [
    { change: { name: '' }, field: 'name' },
    { change: { age: 3 }, field: 'age' },
    { change: { faculty: 0 }, field: 'faculty' },
    { change: { discipline: 0 }, field: 'discipline' },
  ],
};

/** The writer's answer to an accepted event: its id is a UUIDv7 (fresh) or v5 (from an idempotency key). */
const ACCEPTED = /^accepted: event ([0-9a-f]{8}-[0-9a-f]{4}-[57][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}) is durable in the broker$/;

type Unary = (request: unknown, metadata: Metadata, options: { deadline: Date }, callback: (error: ServiceError | null, response?: Record<string, unknown>) => void) => void;

/** A client of `scenario`'s service built from its spec .proto alone, and the method's decoder. */
function specClient(scenario: AnyScenario, target: string): { client: Client; call: (request: unknown, metadata?: Metadata) => Promise<Record<string, unknown>>; fromWire: (bytes: Uint8Array) => Record<string, unknown> } {
  const definition = loadSync(join(repoRoot(), SPEC_PROTOS[scenario.name]), { keepCase: true, defaults: true });
  const service = definition[scenario.grpc.serviceName] as Record<string, MethodDefinition<unknown, unknown>>;
  assert.ok(service, `${scenario.grpc.serviceName} is in ${SPEC_PROTOS[scenario.name]}`);
  const [methodName] = Object.keys(service);
  const Service = scenario.grpc.serviceName.split('.').reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, loadPackageDefinition(definition) as Record<string, unknown>) as unknown as new (
    target: string,
    creds: ReturnType<typeof credentials.createInsecure>,
  ) => Client & Record<string, Unary>;
  const client = new Service(target, credentials.createInsecure());
  const call = (request: unknown, metadata = new Metadata()) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      client[methodName](request, metadata, { deadline: new Date(Date.now() + 30_000) }, (error, response) => (error ? reject(error) : resolve(response ?? {}))),
    );
  const fromWire = (bytes: Uint8Array) => service[methodName].requestDeserialize(Buffer.from(bytes)) as Record<string, unknown>;
  return { client, call, fromWire };
}

/** The one text field of the spec's response (`estado`, `status`). */
const statusText = (response: Record<string, unknown>) => String(Object.values(response)[0]);

export function specClientChecks(context: () => PipelineContext, cases: readonly PipelineCase[]): void {
  for (const c of cases) {
    const { scenario } = c;
    it(`${scenario.name}: a client of the spec's .proto alone is served by a writer — ids given, counted once, wrong fields named`, async () => {
      const { stack, valkey } = context();
      const [keys] = context().keysOf(scenario);
      const writer = stack.writers[0];
      const { client, call, fromWire } = specClient(scenario, `127.0.0.1:${writer.spec.env.GRPC_PORT}`);
      try {
        const before = await readWrites(valkey, scenario, keys);
        const random = seededRandom(4242);
        const toSpec = (body: unknown) => fromWire(scenario.encode(scenario.toMessage(scenario.body.parse(body))));

        // Plain calls, no metadata at all: each gets an id of its own in the answer.
        const plain = Array.from({ length: 60 }, () => scenario.sample(random));
        const answers = await Promise.all(plain.map((body) => call(toSpec(body))));
        const ids = answers.map((answer) => ACCEPTED.exec(statusText(answer))?.[1]);
        assert.ok(ids.every(Boolean), `every answer says accepted with its id: ${statusText(answers[0])}`);
        assert.equal(new Set(ids).size, plain.length, 'a fresh id per call');

        // The same call three times with an idempotency-key: one id, counted once.
        const keyed = Array.from({ length: 5 }, () => scenario.sample(random));
        const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        for (const [i, body] of keyed.entries()) {
          const replies = [];
          for (let round = 0; round < 3; round++) {
            const metadata = new Metadata();
            metadata.set('idempotency-key', `spec-${run}-${i}`);
            replies.push(ACCEPTED.exec(statusText(await call(toSpec(body), metadata)))?.[1]);
          }
          assert.equal(new Set(replies).size, 1, `one id for one key: ${replies.join(', ')}`);
        }

        // Wrong fields: INVALID_ARGUMENT naming the field, and nothing counted.
        const valid = toSpec(scenario.sample(random));
        for (const wrong of WRONG_FIELDS[scenario.name]) {
          const error = await call({ ...valid, ...wrong.change }).then(
            () => assert.fail(`${JSON.stringify(wrong.change)} was accepted`),
            (e: ServiceError) => e,
          );
          assert.equal(error.code, status.INVALID_ARGUMENT, `${JSON.stringify(wrong.change)}: ${error.message}`);
          assert.match(error.details, new RegExp(`^${wrong.field} `), `${JSON.stringify(wrong.change)} names ${wrong.field}`);
        }
        const bad = new Metadata();
        bad.set('idempotency-key', 'x'.repeat(300));
        const badKey = await call(valid, bad).then(
          () => assert.fail('a 300-character idempotency-key was accepted'),
          (e: ServiceError) => e,
        );
        assert.equal(badKey.code, status.INVALID_ARGUMENT);
        assert.match(badKey.details, /^idempotency-key /);

        const accepted = [...plain, ...keyed];
        const [after] = await context().settle(scenario, [before], accepted.length);
        assert.equal(writesDelta(after, before)[keys.metric('total')]?.[''], accepted.length, 'accepted == counted');
        assert.deepEqual(writesDelta(after, before, c.project), writesDelta(expectedWrites(scenario, keys, accepted), {}, c.project), 'every aggregate');
      } finally {
        client.close();
      }
    });
  }
}
