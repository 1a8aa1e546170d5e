import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

describe('consumer configuration', () => {
  it('names every bad variable in one message and stops with status 78', () => {
    // The built consumer itself, with only these variables: it must stop at its configuration check.
    const env = {
      PATH: process.env.PATH ?? '',
      BROKER: 'kafka', // KAFKA_BROKERS is not set
      KAFKA_SASL_MECHANISM: 'scram-sha-512', // without KAFKA_USERNAME / KAFKA_PASSWORD
      VALKEY_URL: 'not a url',
      PORT: '99999',
      SCENARIOS: 'blackfriday,nope',
      DEDUP_TTL_SECONDS: '-1',
    };
    const run = spawnSync(process.execPath, [join(__dirname, 'main.js')], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 78, `exit status (stderr: ${run.stderr})`);
    assert.equal(run.stderr.match(/invalid configuration/g)?.length, 1, `one message: ${run.stderr}`);
    for (const expected of [
      /KAFKA_BROKERS is required but not set/,
      /KAFKA_USERNAME and KAFKA_PASSWORD are required/,
      /VALKEY_URL is invalid/,
      /PORT is invalid/,
      /SCENARIOS is invalid: unknown scenario "nope"/,
      /DEDUP_TTL_SECONDS is invalid/,
    ]) {
      assert.match(run.stderr, expected);
    }
  });

  it('reports the RabbitMQ variables beside the others when BROKER=rabbitmq', () => {
    const env = { PATH: process.env.PATH ?? '', BROKER: 'rabbitmq', RABBITMQ_USERNAME: 'oleada' };
    const run = spawnSync(process.execPath, [join(__dirname, 'main.js')], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 78, `exit status (stderr: ${run.stderr})`);
    assert.match(run.stderr, /VALKEY_URL is required but not set/);
    assert.match(run.stderr, /RABBITMQ_URL is required but not set/);
  });
});
