import { baseConfigShape, brokerConfigShape, BROKERS, loadConfig } from '@oleada/shared';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APP_CONFIGS, APP_KINDS } from './app-configs';
import { configRows, renderConfigTable, requiredVariables } from './config-table';

const ARCHITECTURE = join(__dirname, '..', '..', '..', 'docs', 'architecture.md');
const BEGIN = '<!-- configuration table: made from libs/app-config; OLEADA_WRITE_DOCS=1 node --test libs/app-config/dist/config-table.spec.js rewrites it -->\n';
const END = '<!-- end of the configuration table -->';

describe('the configuration table', () => {
  it('in docs/architecture.md is the one the apps’ shapes make (OLEADA_WRITE_DOCS=1 rewrites it)', () => {
    const text = readFileSync(ARCHITECTURE, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END, start);
    assert.ok(start >= 0 && end > start, `docs/architecture.md has no section between "${BEGIN.trim()}" and "${END}"`);
    const table = renderConfigTable();
    const current = text.slice(start + BEGIN.length, end);
    if (current !== table && process.env.OLEADA_WRITE_DOCS === '1') {
      writeFileSync(ARCHITECTURE, text.slice(0, start + BEGIN.length) + table + text.slice(end));
      return;
    }
    assert.equal(current, table, 'docs/architecture.md: the configuration table is stale; rewrite it with OLEADA_WRITE_DOCS=1');
  });

  it('names every variable every app reads, each once per meaning', () => {
    const rows = configRows();
    for (const app of APP_KINDS) {
      const documented = rows.filter((row) => row.apps.includes(app)).flatMap((row) => row.names);
      assert.deepEqual([...documented].sort(), Object.keys(APP_CONFIGS[app].shape).sort(), app);
    }
    const everyApp = rows.filter((row) => row.apps.length === APP_KINDS.length).flatMap((row) => row.names);
    for (const name of Object.keys(baseConfigShape)) assert.ok(everyApp.includes(name), `${name} is read by every app`);
  });

  it('says what unset means as each app’s own validation does', () => {
    // An app given only what the table calls required (with Kafka) starts; given that less any one of them, it does not.
    for (const app of APP_KINDS) {
      const { shape, rules } = APP_CONFIGS[app];
      const required = requiredVariables(app, 'kafka');
      const env = Object.fromEntries(required.map((name) => [name, SAMPLE_VALUES[name] ?? 'x']));
      assert.doesNotThrow(() => loadConfig(shape, env, rules), `${app} with ${required.join(', ')}`);
      for (const name of required) {
        const { [name]: _left, ...less } = env;
        assert.throws(() => loadConfig(shape, less, rules), new RegExp(`${name} is required`), `${app} without ${name}`);
      }
    }
  });

  it('requires a broker variable exactly when the broker check does', () => {
    for (const broker of BROKERS) {
      const withBroker = Object.entries(brokerConfigShape)
        .filter(([, schema]) => schema.meta()?.requiredWith === `BROKER=${broker}`)
        .map(([name]) => name);
      for (const app of ['writer', 'consumer'] as const) {
        assert.ok(withBroker.every((name) => requiredVariables(app, broker).includes(name)), `${app} with ${broker}`);
        const env = { ...Object.fromEntries(requiredVariables(app, 'kafka').filter((name) => !(name in brokerConfigShape)).map((name) => [name, SAMPLE_VALUES[name] ?? 'x'])), BROKER: broker };
        const problems = (() => {
          try {
            loadConfig(APP_CONFIGS[app].shape, env, APP_CONFIGS[app].rules);
            return [];
          } catch (error) {
            return (error as { problems: string[] }).problems;
          }
        })();
        assert.deepEqual(problems.map((problem) => problem.split(' ')[0]).sort(), [...withBroker].sort(), `${app} with BROKER=${broker}: ${problems.join('; ')}`);
      }
    }
  });
});

/** Valid values of the required variables whose schema takes no arbitrary word. */
const SAMPLE_VALUES: Readonly<Record<string, string>> = {
  RELAY_URL: 'http://relay:8080',
  VALKEY_URL: 'redis://valkey:6379',
  KAFKA_BROKERS: 'kafka:9092',
  RABBITMQ_URL: 'amqp://rabbitmq:5672/',
};
