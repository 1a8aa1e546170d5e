import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { valkeySecretsFile, type ValkeyCredential } from '@oleada/local';
import { FUNCTION_NAME, FUNCTION_SOURCE } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import type { FaultSuite } from '../harness';

/** What the server answered to one command: 'OK' when it ran, else the error. */
async function reply(client: Valkey, args: readonly string[]): Promise<string> {
  try {
    await client.call(args[0], ...args.slice(1));
    return 'OK';
  } catch (error) {
    return (error as Error).message;
  }
}

const NOPERM = /^NOPERM/;

/** The ACL users of an authenticated Valkey: each can do what its role needs, and nothing more. */
export function valkeyAccessTests(suite: FaultSuite): void {
  /** A connection that has not authenticated yet (or as `credential`). */
  const open = async (credential?: ValkeyCredential): Promise<Valkey> => {
    const client = new Valkey(suite.valkey.url, { ...credential, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  /** Runs each command and records the row: passed when every answer matches `expected`. */
  const check = async (id: string, attack: string, expectedText: string, client: Valkey, commands: readonly string[][], expected: RegExp) => {
    const answers = await Promise.all(commands.map((c) => reply(client, c)));
    const wrong = commands.filter((_, i) => !expected.test(answers[i]));
    const summary = [...new Set(answers.map((a) => a.split(' ')[0]))].join(', ');
    suite.results.attack({
      id,
      attack,
      expected: expectedText,
      observed: wrong.length === 0 ? `${commands.length}/${commands.length}: ${summary}` : `allowed: ${wrong.map((c) => c.join(' ')).join('; ')}`,
      passed: wrong.length === 0,
    });
    assert.deepEqual(wrong, [], `${attack}: ${JSON.stringify(answers)}`);
  };

  it('refuses connections without credentials, with a wrong password, and as the disabled default user', async () => {
    const anonymous = await open();
    try {
      await check('v1-anonymous', 'Valkey: commands without authenticating', 'NOAUTH', anonymous, [['PING'], ['GET', suite.keys.metric('total')], ['FLUSHALL'], ['CONFIG', 'GET', '*']], /^NOAUTH/);
      const { consumer } = suite.credentials;
      await check(
        'v2-wrong-password',
        'Valkey: AUTH with a wrong password, and as the default user',
        'WRONGPASS',
        anonymous,
        [
          ['AUTH', consumer.username, `${consumer.password}x`],
          ['AUTH', consumer.username, ''],
          ['AUTH', 'default', ''],
          ['AUTH', 'default', consumer.password],
          ['AUTH', consumer.password],
        ],
        /^WRONGPASS/,
      );
    } finally {
      anonymous.disconnect();
    }
  });

  it("the read-only Grafana user reads oleada:* and cannot write, call or load functions, or read other keys", async () => {
    const grafana = await open(suite.credentials.grafana);
    try {
      await check('v3-grafana-reads', 'Valkey grafana user: read the aggregates', 'allowed', grafana, [['HGETALL', suite.keys.metric('reports')], ['GET', suite.keys.metric('total')], ['ZREVRANGE', suite.keys.metric('top_products'), '0', '9']], /^OK$/);
      const key = suite.keys.metric('total');
      await check(
        'v4-grafana-writes',
        'Valkey grafana user: write, delete, FCALL, FUNCTION LOAD/DELETE, EVAL, FLUSHALL, KEYS, SCAN, CONFIG, read outside oleada:*',
        'NOPERM',
        grafana,
        [
          ['SET', key, '0'],
          ['INCRBY', key, '1'],
          ['HSET', suite.keys.metric('reports'), 'Ropa', '0'],
          ['DEL', key],
          ['EXPIRE', key, '1'],
          ['FCALL', FUNCTION_NAME, '1', suite.keys.seen('grafana'), '60', '[]'],
          ['FUNCTION', 'LOAD', 'REPLACE', FUNCTION_SOURCE],
          ['FUNCTION', 'DELETE', 'oleada'],
          ['EVAL', 'return 1', '0'],
          ['FLUSHALL'],
          ['KEYS', '*'],
          ['SCAN', '0'],
          ['CONFIG', 'SET', 'appendonly', 'no'],
          ['ACL', 'LIST'],
          ['GET', 'other:secret'],
        ],
        NOPERM,
      );
    } finally {
      grafana.disconnect();
    }
  });

  it('the consumer user calls the aggregation function on oleada:* and cannot touch any other key or the server', async () => {
    const consumer = await open(suite.credentials.consumer);
    try {
      const probe = suite.keys.seen(`acl-probe-${suite.run}`);
      await check('v5-consumer-own', 'Valkey consumer user: FCALL (empty batch), FUNCTION LIST, write and read under oleada:*', 'allowed', consumer, [['FCALL', FUNCTION_NAME, '1', probe, '60', '[]'], ['FUNCTION', 'LIST'], ['SET', probe, '1', 'EX', '60'], ['GET', probe], ['DEL', probe]], /^OK$/);
      await check(
        'v6-consumer-outside',
        'Valkey consumer user: keys outside oleada:* (direct and through FCALL), FLUSHALL, KEYS, SCAN, CONFIG, ACL, FUNCTION DELETE/FLUSH, EVAL, SHUTDOWN',
        'NOPERM',
        consumer,
        [
          ['SET', 'other:key', '1'],
          ['GET', 'other:key'],
          ['DEL', 'other:key'],
          ['RENAME', suite.keys.metric('total'), 'other:stolen'],
          ['COPY', suite.keys.metric('total'), 'other:copy'],
          ['FCALL', FUNCTION_NAME, '1', 'other:seen:x', '60', '[]'],
          ['FLUSHALL'],
          ['FLUSHDB'],
          ['KEYS', '*'],
          ['SCAN', '0'],
          ['CONFIG', 'SET', 'appendonly', 'no'],
          ['ACL', 'SETUSER', 'oleada-consumer', 'allkeys'],
          ['FUNCTION', 'DELETE', 'oleada'],
          ['FUNCTION', 'FLUSH'],
          ['EVAL', 'return 1', '0'],
          ['SHUTDOWN', 'NOSAVE'],
        ],
        NOPERM,
      );
    } finally {
      consumer.disconnect();
    }
  });

  it('keeps the passwords in a 0600 file only: hashes in the ACL file, no credentials in the URL or the app command lines', () => {
    const file = valkeySecretsFile();
    const mode = statSync(file).mode & 0o777;
    const dirMode = statSync(dirname(file)).mode & 0o777;
    const acl = readFileSync(join(suite.valkey.dataDir ?? '', 'users.acl'), 'utf8');
    const passwords = Object.values(suite.credentials).map((c) => c.password);
    const inAcl = passwords.filter((p) => acl.includes(p)).length;
    const cmdlines = suite.apps.map((app) => (app.pid ? readFileSync(`/proc/${app.pid}/cmdline`, 'utf8') : '')).join('\n');
    const inCmdlines = passwords.filter((p) => cmdlines.includes(p) || suite.valkey.url.includes(p)).length;
    const passed = mode === 0o600 && dirMode === 0o700 && inAcl === 0 && inCmdlines === 0 && !/@/.test(suite.valkey.url);
    suite.results.attack({
      id: 'v7-secrets',
      attack: 'Valkey credentials at rest',
      expected: 'secrets file 0600 in a 0700 dir; ACL file holds SHA-256 hashes only; no password in URLs or command lines',
      observed: `file ${mode.toString(8)}, dir ${dirMode.toString(8)}; ${inAcl} passwords in the ACL file; ${inCmdlines} in URLs/command lines`,
      passed,
    });
    assert.equal(mode, 0o600);
    assert.equal(dirMode, 0o700);
    assert.equal(inAcl, 0, 'no plain password in the ACL file');
    assert.equal(inCmdlines, 0, 'no password in a URL or a command line');
  });
}
