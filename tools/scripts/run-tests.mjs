#!/usr/bin/env node
// Runs every compiled spec (`**/dist/**/*.spec.js`) with node's test runner, one file at a time,
// against real Kafka, Valkey and RabbitMQ started once for the whole run, then the Python tests.
// Usage: node tools/scripts/run-tests.mjs [path-prefix ...]
//
// The servers are the tests' own: fresh, on ports no other part of the project uses (so a running
// `npm start`, `npm run infra -- up` or demo is never shared, nor its consumer groups or keys), and
// never reused. OLEADA_TEST_PORT_OFFSET moves them, with the stacks the tests start, for a second
// run beside this one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const roots = ['libs', 'apps', 'tools', 'charts'].map((d) => join(root, d));
const filters = process.argv.slice(2).map((p) => join(root, p));

function specs(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) specs(path, out);
    else if (name.endsWith('.spec.js') && path.includes('/dist/')) out.push(path);
  }
  return out;
}

const files = roots.flatMap((d) => specs(d)).filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p))).sort();
if (files.length === 0) {
  console.error('no compiled spec files found: run `npm run build` first');
  process.exit(1);
}

const { ensureInfra, runDir, stopRecordedServers } = await import(join(root, 'tools/local/dist/index.js'));
const offset = Number(process.env.OLEADA_TEST_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < 0) {
  console.error(`OLEADA_TEST_PORT_OFFSET=${process.env.OLEADA_TEST_PORT_OFFSET} is not a port offset`);
  process.exit(1);
}
const ports = { kafka: 24092 + offset, kafkaController: 24093 + offset, valkey: 24379 + offset, rabbitmq: 24673 + offset };
// What a killed earlier run of these tests left behind (recorded under .cache/run by pid).
await stopRecordedServers(runDir('.'), [`kafka-${ports.kafka}`, `valkey-${ports.valkey}`, `rabbitmq-${ports.rabbitmq}`]);
let infra;
try {
  infra = await ensureInfra({
    fresh: true,
    kafka: { port: ports.kafka, controllerPort: ports.kafkaController, reuse: false },
    valkey: { port: ports.valkey, reuse: false, auth: true },
    rabbitmq: { port: ports.rabbitmq, reuse: false },
  });
} catch (error) {
  console.error(`cannot start the test servers (Kafka ${ports.kafka}, Valkey ${ports.valkey}, RabbitMQ ${ports.rabbitmq}):\n${error.message}`);
  process.exit(1);
}
console.log(`test servers: Kafka ${infra.kafka.brokers}, Valkey ${infra.valkey.url}, RabbitMQ ${infra.rabbitmq.url}`);
// RABBITMQ_USERNAME/RABBITMQ_PASSWORD: the local user generated into .cache, passed by environment.
// Valkey requires authentication: tests read and clean up as the admin user; the stacks they
// start give the consumer its own user. Passwords are generated once into .cache/secrets (0600).
const { admin, consumer } = infra.valkey.credentials;
const valkeyEnv = { VALKEY_USERNAME: admin.username, VALKEY_PASSWORD: admin.password, VALKEY_CONSUMER_USERNAME: consumer.username, VALKEY_CONSUMER_PASSWORD: consumer.password };
const env = { ...process.env, KAFKA_BROKERS: infra.kafka.brokers, VALKEY_URL: infra.valkey.url, ...valkeyEnv, ...infra.rabbitmq.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };

let status = 0;
try {
  console.log(`running ${files.length} spec files:\n  ${files.map((f) => relative(root, f)).join('\n  ')}`);
  const node = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=600000', ...files], { stdio: 'inherit', env, cwd: root });
  status = node.status ?? 1;

  const python = join(root, '.cache/venv/bin/python');
  const pyTests = [join(root, 'locust/tests')].filter(existsSync);
  if (pyTests.length > 0 && filters.length === 0) {
    const pytest = spawnSync(python, ['-m', 'pytest', '-q', ...pyTests], { stdio: 'inherit', env, cwd: root });
    if (pytest.status !== 0) status = status || pytest.status || 1;
  }
} finally {
  await infra.stop();
}
process.exit(status);
