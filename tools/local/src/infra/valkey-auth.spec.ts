/**
 * The `auth` option of startValkey and the secrets file, against a real valkey-server on port
 * 26480 (the fault suite's spare port), with a secrets file and data dir of its own.
 *   npx tsc -b tools/local && node --test tools/local/dist/infra/valkey-auth.spec.js
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBatch, loadAggregationFunction } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { loadOrCreateSecrets } from './secrets';
import { renderAclFile, startValkey, valkeyAuthProbe, valkeyCredentials, type ValkeyHandle } from './valkey';

const PORT = 26480;

describe('secrets file', () => {
  it('is created once, owner-only, and gives the same values on every later call', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'sub', 'x.env');
    const first = loadOrCreateSecrets(file, ['A_PASSWORD', 'B_PASSWORD']);
    assert.match(first.A_PASSWORD, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first.A_PASSWORD, first.B_PASSWORD);
    assert.deepEqual(loadOrCreateSecrets(file, ['A_PASSWORD', 'B_PASSWORD']), first);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    const more = loadOrCreateSecrets(file, ['A_PASSWORD', 'C_PASSWORD']);
    assert.equal(more.A_PASSWORD, first.A_PASSWORD, 'existing values are kept when names are added');
    assert.match(readFileSync(file, 'utf8'), /^C_PASSWORD=/m);
  });

  it('the ACL file disables the default user and holds hashes, never a password', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'valkey.env');
    const credentials = valkeyCredentials(file);
    const acl = renderAclFile(credentials);
    assert.match(acl, /^user default off /m);
    for (const { username, password } of Object.values(credentials)) {
      assert.match(acl, new RegExp(`^user ${username} on #[0-9a-f]{64} `, 'm'));
      assert.ok(!acl.includes(password));
    }
  });
});

describe('startValkey({ auth })', () => {
  const dir = mkdtempSync(join(tmpdir(), 'valkey-auth-'));
  const secretsFile = join(dir, 'valkey.env');
  let valkey: ValkeyHandle | undefined;
  let startError: unknown;

  before(async () => {
    try {
      // appendfsync always: with everysec a write may still wait for its write(2) when the kill comes.
      // OLEADA_VALKEY_SERVER: another valkey-server to try (e.g. one without the fix of valkey-io/valkey#3983)
      valkey = await startValkey({ port: PORT, fresh: true, reuse: false, dataDir: join(dir, 'data'), appendonly: true, extraArgs: ['--appendfsync', 'always'], auth: { secretsFile }, binary: process.env.OLEADA_VALKEY_SERVER || undefined });
    } catch (error) {
      startError = error; // reported by the first test, with the log tail
    }
  });
  after(() => valkey?.stop());

  const need = (): ValkeyHandle => {
    if (startError) throw startError;
    assert.ok(valkey);
    return valkey;
  };

  it('starts with the default user disabled and the ACL users of the secrets file', async () => {
    const server = need();
    assert.deepEqual(server.credentials, valkeyCredentials(secretsFile));
    assert.ok(!server.url.includes('@'), 'no credentials in the URL');
    assert.equal(await valkeyAuthProbe(PORT, server.credentials!.admin), 'ok');
    assert.equal(await valkeyAuthProbe(PORT, { ...server.credentials!.consumer, password: 'wrong' }), 'denied');
    const anonymous = new Valkey({ port: PORT, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    await anonymous.connect();
    await assert.rejects(anonymous.get('oleada:x'), /NOAUTH/);
    anonymous.disconnect();
  });

  it('is reused only with credentials it accepts, never without authentication', async () => {
    need();
    const again = await startValkey({ port: PORT, auth: { secretsFile } });
    assert.equal(again.reused, true);
    assert.deepEqual(again.credentials, valkey!.credentials);
    await assert.rejects(startValkey({ port: PORT }), /requires authentication/);
    const otherSecrets = join(dir, 'other.env');
    writeFileSync(otherSecrets, '');
    await assert.rejects(startValkey({ port: PORT, auth: { secretsFile: otherSecrets } }), /refuses our credentials/);
  });

  it('keeps its users, and the consumer\'s transactions in its AOF, across a kill and restart on the same data dir', async () => {
    const server = need();
    const login = (role: 'admin' | 'consumer') =>
      new Valkey({ port: PORT, username: server.credentials![role].username, password: server.credentials![role].password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const consumer = login('consumer');
    await consumer.connect();
    try {
      // the function's writes reach the AOF as a MULTI block, replayed as the default user
      await loadAggregationFunction(consumer);
      const events = ['a', 'b'].map((id, i) => ({ seenKey: `oleada:restart:seen:${id}`, operations: [{ code: 'I' as const, key: `oleada:restart:${id}`, field: '' as const, value: i + 2 }] }));
      assert.deepEqual(await applyBatch(consumer, events, 3600), { applied: 2, duplicates: 0 });
    } finally {
      consumer.disconnect();
    }
    await server.kill('SIGKILL');
    await server.start();
    assert.equal(await valkeyAuthProbe(PORT, server.credentials!.grafana), 'ok');
    const admin = login('admin');
    await admin.connect();
    try {
      assert.deepEqual(await admin.mget('oleada:restart:a', 'oleada:restart:b'), ['2', '3']);
      assert.equal(await admin.exists('oleada:restart:seen:a', 'oleada:restart:seen:b'), 2);
    } finally {
      admin.disconnect();
    }
  });
});
