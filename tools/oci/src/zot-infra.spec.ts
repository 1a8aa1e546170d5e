import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { requireTool } from './testing/registry-server';

const ROOT = resolve(__dirname, '../../..');
const ZOT = join(ROOT, 'infra/zot');
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

const tmp = mkdtempSync(join(tmpdir(), 'oleada-zot-infra-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function bash(script: string, args: string[], env: Record<string, string>, input?: string) {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, input });
}

describe('Zot configuration (infra/zot/config.json)', () => {
  // Validated against infra/zot/config.schema.json, written from Zot's documented keys: the Go
  // module proxy refuses zotregistry.dev/zot here, so `zot verify` runs on the VM instead (before start).
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(readJson(join(ZOT, 'config.schema.json')) as object);
  const config = readJson(join(ZOT, 'config.json')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('is valid against the schema', () => {
    assert.equal(validate(config), true, ajv.errorsText(validate.errors));
  });

  it('has htpasswd authentication, TLS, garbage collection, dedupe, search and UI', () => {
    assert.equal(config.http.auth.htpasswd.path, '/etc/zot/htpasswd');
    assert.deepEqual(config.http.tls, { cert: '/etc/zot/tls/server.crt', key: '/etc/zot/tls/server.key' });
    assert.equal(config.storage.gc, true);
    assert.equal(config.storage.dedupe, true);
    assert.equal(config.extensions.search.enable, true);
    assert.equal(config.extensions.ui.enable, true);
    assert.equal(config.http.port, '5000');
  });

  it('uses the paths install-zot.sh prepares and zot.service may write', () => {
    const install = readFileSync(join(ZOT, 'install-zot.sh'), 'utf8');
    const unit = readFileSync(join(ZOT, 'zot.service'), 'utf8');
    assert.match(install, /TLS=\/etc\/zot\/tls/);
    assert.match(install, /install -d -o zot -g zot -m 0750 \/var\/lib\/zot \/var\/log\/zot/);
    assert.match(unit, new RegExp(`^ReadWritePaths=.*${config.storage.rootDirectory}`, 'm'));
    assert.ok(config.log.audit.startsWith('/var/log/zot/'));
    assert.match(unit, /^ExecStartPre=\/usr\/local\/bin\/zot verify \/etc\/zot\/config\.json$/m);
    assert.match(unit, /^User=zot$/m);
  });

  it('the schema rejects unknown keys, wrong types and bad durations', () => {
    const broken = (mutate: (c: any) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const copy = structuredClone(config);
      mutate(copy);
      return validate(copy);
    };
    assert.equal(broken((c) => (c.storage.dedup = true)), false, 'typo "dedup"');
    assert.equal(broken((c) => (c.http.port = 5000)), false, 'port must be a string');
    assert.equal(broken((c) => (c.storage.gcDelay = '1 hour')), false, 'Go duration');
    assert.equal(broken((c) => (c.extensions.ui.enabled = true)), false, 'typo "enabled"');
    assert.equal(broken((c) => delete c.http.tls.key), false, 'TLS needs a key');
  });
});

describe('cloud-init user data (infra/zot/render-cloud-init.sh)', () => {
  const password = `pa ss"w'ord$1`;
  const run = bash(join(ZOT, 'render-cloud-init.sh'), [], {
    ZOT_USERNAME: 'oleada-ci',
    ZOT_PASSWORD: password,
    ZOT_TLS_SANS: 'IP:203.0.113.7,DNS:zot.example.com',
  });

  it('renders, and never contains the password', () => {
    requireTool('htpasswd', 'apache2-utils');
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.startsWith('#cloud-config\n'));
    assert.ok(!run.stdout.includes(password));
  });

  it('writes the repository files, a bcrypt htpasswd entry, and runs install-zot.sh', () => {
    const doc = parseYaml(run.stdout) as { write_files: { path: string; content: string; permissions: string }[]; runcmd: string[][] };
    const files = new Map(doc.write_files.map((f) => [f.path, Buffer.from(f.content, 'base64').toString('utf8')]));
    assert.equal(files.get('/etc/zot/config.json'), readFileSync(join(ZOT, 'config.json'), 'utf8'));
    assert.equal(files.get('/etc/systemd/system/zot.service'), readFileSync(join(ZOT, 'zot.service'), 'utf8'));
    assert.equal(files.get('/opt/oleada-zot/install-zot.sh'), readFileSync(join(ZOT, 'install-zot.sh'), 'utf8'));
    assert.match(files.get('/etc/oleada-zot.env') ?? '', /^ZOT_TLS_SANS=IP:203\.0\.113\.7,DNS:zot\.example\.com$/m);
    assert.match(files.get('/etc/oleada-zot.env') ?? '', /^ZOT_VERSION=v\d+\.\d+\.\d+$/m);

    const htpasswd = files.get('/etc/zot/htpasswd') ?? '';
    assert.match(htpasswd, /^oleada-ci:\$2y\$12\$/);
    const file = join(tmp, 'htpasswd');
    writeFileSync(file, htpasswd);
    const check = spawnSync('htpasswd', ['-vb', file, 'oleada-ci', password], { encoding: 'utf8' });
    assert.equal(check.status, 0, `the bcrypt hash must match the password: ${check.stderr}`);
    assert.deepEqual(doc.runcmd, [['bash', '/opt/oleada-zot/install-zot.sh']]);
  });

  it('refuses to render without credentials', () => {
    const missing = bash(join(ZOT, 'render-cloud-init.sh'), [], { ZOT_USERNAME: 'x' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /ZOT_PASSWORD is not set/);
  });
});

describe('cluster access (infra/zot/k8s, infra/zot/trust)', () => {
  it('create-pull-secret.sh applies a kubernetes.io/dockerconfigjson Secret zot-pull-secret from env', () => {
    const bin = join(tmp, 'bin');
    const captured = join(tmp, 'kubectl-stdin.yaml');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\n[ "$1 $2 $3" = "apply -f -" ] || exit 9\ncat > '${captured}'\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    const password = 'p"a\\ss word';
    const run = bash(join(ZOT, 'k8s/create-pull-secret.sh'), [], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      REGISTRY: '203.0.113.7:5000',
      ZOT_USERNAME: 'puller',
      ZOT_PASSWORD: password,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password));
    const docs = readFileSync(captured, 'utf8').split(/^---$/m).map((d) => parseYaml(d) as any); // eslint-disable-line @typescript-eslint/no-explicit-any
    const secret = docs.find((d) => d.kind === 'Secret');
    assert.equal(secret.metadata.name, 'zot-pull-secret');
    assert.equal(secret.metadata.namespace, 'oleada');
    assert.equal(secret.type, 'kubernetes.io/dockerconfigjson');
    const dockerConfig = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8'));
    assert.equal(Buffer.from(dockerConfig.auths['203.0.113.7:5000'].auth, 'base64').toString('utf8'), `puller:${password}`);
  });

  it('create-pull-secret.sh names a missing variable', () => {
    const run = bash(join(ZOT, 'k8s/create-pull-secret.sh'), [], { REGISTRY: 'zot:5000', ZOT_USERNAME: 'u' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /ZOT_PASSWORD is not set/);
  });

  it('node-trust.sh installs a containerd hosts.toml and the CA for the registry', () => {
    const ca = join(tmp, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const nodeRoot = join(tmp, 'node');
    const run = bash(join(ZOT, 'trust/node-trust.sh'), [], { REGISTRY: '203.0.113.7:5000', CA_FILE: ca, ROOT: nodeRoot });
    assert.equal(run.status, 0, run.stderr);
    const dir = join(nodeRoot, 'etc/containerd/certs.d/203.0.113.7:5000');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), readFileSync(ca, 'utf8'));
    const hosts = readFileSync(join(dir, 'hosts.toml'), 'utf8');
    assert.match(hosts, /^server = "https:\/\/203\.0\.113\.7:5000"$/m);
    assert.match(hosts, /^ {2}ca = "\/etc\/containerd\/certs\.d\/203\.0\.113\.7:5000\/ca\.crt"$/m);

    const userData = bash(join(ZOT, 'trust/node-trust.sh'), ['--user-data'], { REGISTRY: '203.0.113.7:5000', CA_FILE: ca });
    assert.equal(userData.status, 0, userData.stderr);
    assert.ok(userData.stdout.includes('MIIB'));
    assert.equal(spawnSync('bash', ['-n'], { input: userData.stdout }).status, 0, 'user data is valid bash');
  });

  it('lib.sh extract_ca takes the last CA block from a console log', () => {
    const consoleLog =
      'boot\r\nOLEADA-ZOT-CA-BEGIN\r\n-----BEGIN CERTIFICATE-----\r\nOLD\r\n-----END CERTIFICATE-----\r\nOLEADA-ZOT-CA-END\r\n' +
      'noise\nOLEADA-ZOT-CA-BEGIN\n-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\nOLEADA-ZOT-CA-END\n';
    const out = join(tmp, 'extracted.crt');
    const ok = spawnSync('bash', ['-c', `. '${join(ZOT, 'lib.sh')}'; extract_ca '${out}'`], { input: consoleLog, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(readFileSync(out, 'utf8'), '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n');
    const none = spawnSync('bash', ['-c', `. '${join(ZOT, 'lib.sh')}'; extract_ca '${out}.2'`], { input: 'still booting\n' });
    assert.notEqual(none.status, 0);
  });
});

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === '.state') return [];
    return statSync(path).isDirectory() ? shellScripts(path) : path.endsWith('.sh') ? [path] : [];
  });
}

describe('shell scripts pass shellcheck', () => {
  const scripts = [...shellScripts(join(ROOT, 'infra')), ...shellScripts(join(ROOT, 'tools/images'))].concat(
    ...['setup.sh', 'setup-test-tools.sh', 'setup-browser.sh', 'use-node.sh', 'check-generated.sh', 'build-quiet.sh', 'run-cli.sh'].map((s) => join(ROOT, 'tools/scripts', s)),
  );

  it(`covers every script (${scripts.length})`, () => {
    assert.ok(scripts.length >= 12, scripts.map((s) => relative(ROOT, s)).join(', '));
  });

  for (const script of scripts) {
    it(relative(ROOT, script), () => {
      const shellcheck = requireTool('shellcheck', 'shellcheck');
      const run = spawnSync(shellcheck, ['-x', script], { encoding: 'utf8', cwd: ROOT });
      assert.equal(run.status, 0, run.stdout + run.stderr);
    });
  }
});
