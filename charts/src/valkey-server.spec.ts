import { VALKEY_CONF_DIR, VALKEY_DATA_DIR, VALKEY_USERS } from '@oleada/k8s';
import { seededRandom } from '@oleada/scenarios';
import { applyBatch, claimIdempotencyKey, loadAggregationFunction, operationsFor, readHash, ScenarioKeys, type PreparedEvent } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort, valkeyServerBinary, ValkeyProcess } from './testing/valkey-server';
import { objectsOf, synth, type Synthesized } from './testing/variants';

/** The files cloud-init writes on a Valkey VM, by path. */
function cloudInitFiles(s: Synthesized, vmName: string): Record<string, string> {
  const vm = objectsOf(s, 'VirtualMachine').find((o) => o.metadata.name === vmName);
  assert.ok(vm, `no VirtualMachine ${vmName}`);
  const volume = vm.spec.template.spec.volumes.find((v: { cloudInitNoCloud?: unknown }) => v.cloudInitNoCloud);
  const cloudConfig = parse(volume.cloudInitNoCloud.userData) as { write_files: { path: string; content: string }[] };
  return Object.fromEntries(cloudConfig.write_files.map((f) => [f.path, f.content]));
}

const CONF = `${VALKEY_CONF_DIR}/oleada.conf`;
const ACL_TEMPLATE = `${VALKEY_CONF_DIR}/users.acl.template`;
const AUTH_SCRIPT = '/usr/local/sbin/oleada-valkey-auth';

/**
 * The configuration the VMs' cloud-init writes, started with a real valkey-server: the auth script
 * renders the ACL file from Secret-like files, a primary and a replica start from the generated
 * `oleada.conf` (only paths, port and the primary's address are overridden), and the real
 * aggregation code runs as the `consumer` user while Grafana's user reads the replica.
 */
describe('Valkey configuration from cloud-init, on a real valkey-server', () => {
  const vmVariant = synth('gke-kubevirt-ingress');
  const primaryFiles = cloudInitFiles(vmVariant, 'valkey-primary');
  const replicaFiles = cloudInitFiles(vmVariant, 'valkey-replica');
  const root = mkdtempSync(join(tmpdir(), 'oleada-valkey-'));
  const secrets = join(root, 'secrets');
  const passwords = Object.fromEntries(Object.values(VALKEY_USERS).map((u) => [u.name, randomBytes(24).toString('hex')]));
  const servers: ValkeyProcess[] = [];
  const clients: Valkey[] = [];
  let primary: ValkeyProcess;
  let replica: ValkeyProcess;
  let primaryConf: string;

  /** Lays out one server's files as on the host, with its directories moved under `root`. */
  function prepare(role: string, files: Record<string, string>, separateTemplates: boolean): string {
    const dir = join(root, role);
    const conf = join(dir, 'etc');
    const templates = separateTemplates ? join(dir, 'templates') : conf;
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(templates, { recursive: true });
    mkdirSync(conf, { recursive: true });
    const relocate = (text: string) => text.replaceAll(VALKEY_CONF_DIR, conf).replaceAll(VALKEY_DATA_DIR, join(dir, 'data'));
    writeFileSync(join(templates, 'oleada.conf'), relocate(files[CONF]));
    writeFileSync(join(templates, 'users.acl.template'), files[ACL_TEMPLATE]);
    writeFileSync(join(dir, 'oleada-valkey-auth'), files[AUTH_SCRIPT]);
    // VM: templates and output share /etc/valkey; StatefulSet: the ConfigMap is a separate, read-only directory.
    execFileSync('sh', [join(dir, 'oleada-valkey-auth'), templates, secrets, conf], { stdio: 'pipe' });
    return join(conf, 'oleada.conf');
  }

  function client(server: ValkeyProcess, user?: keyof typeof VALKEY_USERS): Valkey {
    const c = new Valkey({
      host: '127.0.0.1',
      port: server.port,
      username: user ? VALKEY_USERS[user].name : undefined,
      password: user ? passwords[VALKEY_USERS[user].name] : undefined,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    clients.push(c);
    return c;
  }

  before(async () => {
    const binary = valkeyServerBinary();
    mkdirSync(secrets);
    for (const user of Object.values(VALKEY_USERS)) writeFileSync(join(secrets, user.secretKey), passwords[user.name]);
    primaryConf = prepare('primary', primaryFiles, false);
    const replicaConf = prepare('replica', replicaFiles, true);
    primary = await ValkeyProcess.start(binary, primaryConf, await freePort(), ['--bind', '127.0.0.1']);
    servers.push(primary);
    replica = await ValkeyProcess.start(binary, replicaConf, await freePort(), ['--bind', '127.0.0.1', '--replicaof', '127.0.0.1', String(primary.port)]);
    servers.push(replica);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  it('the StatefulSet mode ships exactly the same configuration, ACL template and auth script', () => {
    const sts = synth('kind-statefulset-ingress');
    for (const [role, files] of [['primary', primaryFiles], ['replica', replicaFiles]] as const) {
      const cm = objectsOf(sts, 'ConfigMap').find((c) => c.metadata.name === `valkey-${role}-config`);
      assert.ok(cm, `no ConfigMap valkey-${role}-config`);
      assert.equal(cm.data['oleada.conf'], files[CONF]);
      assert.equal(cm.data['users.acl.template'], files[ACL_TEMPLATE]);
      assert.equal(cm.data['oleada-valkey-auth'], files[AUTH_SCRIPT]);
    }
  });

  it('the auth script refuses a missing password', () => {
    const empty = join(root, 'empty-secrets');
    mkdirSync(empty);
    assert.throws(
      () => execFileSync('sh', [join(root, 'primary', 'oleada-valkey-auth'), join(root, 'primary', 'etc'), empty, join(root, 'out')], { stdio: 'pipe' }),
      /missing or empty/,
    );
  });

  it('nobody gets in without a user and password', async () => {
    const anonymous = client(primary);
    await assert.rejects(anonymous.ping(), /NOAUTH/);
    await assert.rejects(anonymous.call('AUTH', VALKEY_USERS.consumer.name, 'wrong'), /WRONGPASS/);
    await assert.rejects(anonymous.call('AUTH', 'default', ''), /WRONGPASS/);
  });

  it('the gateway binds Idempotency-Keys and touches nothing else', async () => {
    const keys = new ScenarioKeys(vmVariant.config.scenarios[0].name);
    const gateway = client(primary, 'gateway');
    const record = keys.idempotency('0190a6b2-0000-5000-8000-000000000001');
    assert.equal(await claimIdempotencyKey(gateway, record, 'body-a', 60), 'first');
    assert.equal(await claimIdempotencyKey(gateway, record, 'body-a', 60), 'same');
    assert.equal(await claimIdempotencyKey(gateway, record, 'body-b', 60), 'different');
    await assert.rejects(gateway.set(keys.metric('total'), '1'), /NOPERM/);
    await assert.rejects(gateway.get(keys.metric('total')), /NOPERM/);
    await assert.rejects(gateway.del(record), /NOPERM/);
    await assert.rejects(gateway.flushall(), /NOPERM/);
  });

  it('the consumer applies real batches through the aggregation function, idempotently, with AOF on', async () => {
    const scenario = vmVariant.config.scenarios[0];
    const keys = new ScenarioKeys(scenario.name);
    const random = seededRandom(42);
    const events: PreparedEvent[] = [];
    for (let i = 0; i < 25; i++) {
      const acceptedAt = Date.UTC(2026, 0, 1, 12, 0, i);
      const eventId = `test-${i}`;
      const record = scenario.decode(scenario.encode(scenario.toMessage(scenario.sample(random))), { eventId, acceptedAt, topic: scenario.topics[0] });
      events.push({ seenKey: keys.seen(eventId), operations: operationsFor(scenario.aggregates, keys, record, acceptedAt) });
    }
    const consumer = client(primary, 'consumer');
    await loadAggregationFunction(consumer);
    assert.deepEqual(await applyBatch(consumer, events, 3600), { applied: 25, duplicates: 0 });
    assert.deepEqual(await applyBatch(consumer, events, 3600), { applied: 0, duplicates: 25 });
    const headline = keys.metric(scenario.headline);
    const expected: Record<string, number> = {};
    for (const op of events.flatMap((e) => e.operations)) if (op.key === headline) expected[op.field] = (expected[op.field] ?? 0) + op.value;
    assert.deepEqual(await readHash(consumer, headline), expected);

    await assert.rejects(consumer.set('not-oleada:key', '1'), /NOPERM/);
    await assert.rejects(consumer.flushall(), /NOPERM/);
    await assert.rejects(consumer.call('CONFIG', 'GET', 'appendfsync'), /NOPERM/);
    const persistence = await consumer.info('persistence');
    assert.match(persistence, /aof_enabled:1/);
    assert.ok(existsSync(join(root, 'primary', 'data', 'appendonlydir')), 'no appendonlydir in the data directory');
    assert.ok(readdirSync(join(root, 'primary', 'data', 'appendonlydir')).some((f) => f.endsWith('.aof')));
  });

  it('the replica follows the primary with the replication user, and Grafana reads it but cannot write', async () => {
    const scenario = vmVariant.config.scenarios[0];
    const headline = new ScenarioKeys(scenario.name).metric(scenario.headline);
    const fromPrimary = await readHash(client(primary, 'consumer'), headline);
    assert.ok(Object.keys(fromPrimary).length > 0, 'nothing written yet');
    const grafana = client(replica, 'grafana');
    const deadline = Date.now() + 15_000;
    let info = '';
    for (;;) {
      info = await grafana.info('replication');
      if (/master_link_status:up/.test(info) && JSON.stringify(await readHash(grafana, headline)) === JSON.stringify(fromPrimary)) break;
      if (Date.now() > deadline) assert.fail(`replica did not sync in 15 s:\n${info}\n${replica.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(info, /role:slave/);
    await assert.rejects(grafana.hincrby(headline, 'x', 1), /NOPERM/);
    await assert.rejects(client(primary, 'grafana').hincrby(headline, 'x', 1), /NOPERM/);
    await assert.rejects(client(replica, 'consumer').hincrby(headline, 'x', 1), /READONLY/);
  });

  // The aggregation function's writes reach the AOF as MULTI/EXEC blocks. Valkey without the fix of
  // valkey-io/valkey#3983 (8.1.1, the local cluster image's) replays those blocks as the default user
  // and re-checks them against its rules at EXEC, so a default user with `-@all` dropped every one of
  // them on restart, silently. Run with OLEADA_VALKEY_SERVER naming such a server to see it.
  it('a restarted primary loads every applied batch back from its AOF, the function\'s transactions included', async () => {
    const scenario = vmVariant.config.scenarios[0];
    const keys = new ScenarioKeys(scenario.name);
    const headline = keys.metric(scenario.headline);
    const beforeRestart = await readHash(client(primary, 'consumer'), headline);
    assert.ok(Object.keys(beforeRestart).length > 0, 'nothing written yet');
    const aofDir = join(root, 'primary', 'data', 'appendonlydir');
    const incr = readdirSync(aofDir).filter((f) => f.endsWith('.incr.aof'));
    assert.ok(incr.some((f) => readFileSync(join(aofDir, f), 'latin1').includes('\r\nMULTI\r\n')), 'the AOF holds no MULTI block: the restart would not test the replay of transactions');

    await primary.stop();
    const restarted = await ValkeyProcess.start(valkeyServerBinary(), primaryConf, primary.port, ['--bind', '127.0.0.1']);
    servers.push(restarted);
    const consumer = client(restarted, 'consumer');
    const deadline = Date.now() + 15_000;
    while (/loading:1/.test(await consumer.info('persistence').catch(() => 'loading:1'))) {
      if (Date.now() > deadline) assert.fail(`the restarted primary still loads its AOF after 15 s:\n${restarted.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = restarted.log.split('\n').find((line) => /NOPERM|CRITICAL/.test(line));
    assert.equal(refused, undefined, `the restarted primary refused part of its AOF: ${refused}`);
    assert.deepEqual(await readHash(consumer, headline), beforeRestart);
    const seen = await consumer.exists(...Array.from({ length: 25 }, (_, i) => keys.seen(`test-${i}`)));
    assert.equal(seen, 25, 'every applied event keeps its dedup marker');
  });
});
