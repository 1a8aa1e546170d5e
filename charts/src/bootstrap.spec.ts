import { GRAFANA_CHART_VERSION, pinned, PINNED_COMPONENTS, PROMETHEUS_CHART_VERSION, RABBITMQ_SECRET_KEYS } from '@oleada/k8s';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { objectsOf, REPO_ROOT, synth, type VariantName } from './testing/variants';

const BOOTSTRAP = join(REPO_ROOT, 'tools', 'bootstrap', 'bootstrap.sh');

function shellcheck(file: string): void {
  const probe = spawnSync('shellcheck', ['--version']);
  if (probe.error) assert.fail('shellcheck is not installed: apt-get install -y shellcheck');
  const result = spawnSync('shellcheck', ['--shell=sh', '--severity=style', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${file}:\n${result.stdout}${result.stderr}`);
}

describe('scripts pass shellcheck', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oleada-shellcheck-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tools/bootstrap/bootstrap.sh', () => {
    const result = spawnSync('shellcheck', ['--severity=style', BOOTSTRAP], { encoding: 'utf8' });
    if (result.error) assert.fail('shellcheck is not installed: apt-get install -y shellcheck');
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });

  it('the scripts cloud-init writes on the Valkey VMs', () => {
    const [vm] = objectsOf(synth('gke-kubevirt-ingress'), 'VirtualMachine');
    const userData = vm.spec.template.spec.volumes.find((v: { cloudInitNoCloud?: unknown }) => v.cloudInitNoCloud).cloudInitNoCloud.userData;
    const scripts = (parse(userData).write_files as { path: string; content: string }[]).filter((f) => f.content.startsWith('#!/bin/sh'));
    assert.deepEqual(scripts.map((f) => f.path).sort(), ['/usr/local/sbin/oleada-valkey-auth', '/usr/local/sbin/oleada-valkey-setup']);
    for (const script of scripts) {
      const file = join(dir, script.path.split('/').pop()!);
      writeFileSync(file, script.content);
      shellcheck(file);
    }
  });
});

/**
 * The bootstrap against stand-ins for kubectl and helm that record every call and keep Secrets in a
 * state directory: what it installs follows dist/bootstrap.env, and a second run changes nothing.
 */
describe('tools/bootstrap/bootstrap.sh', () => {
  const root = mkdtempSync(join(tmpdir(), 'oleada-bootstrap-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  const KUBECTL = `#!/usr/bin/env bash
# Stand-in for kubectl: records calls; Secrets live in $STUB_STATE/secret-<ns>-<name> as key=value lines.
echo "kubectl $*" >> "$STUB_STATE/calls"
ns=default; args=()
while [ $# -gt 0 ]; do
  case "$1" in -n|--namespace) ns=$2; shift 2 ;; *) args+=("$1"); shift ;; esac
done
set -- "\${args[@]}"
case "$1" in
  config) echo stub-context ;;
  get)
    f="$STUB_STATE/secret-$ns-$3"; [ -f "$f" ] || { echo "Error from server (NotFound)" >&2; exit 1; }
    for a in "$@"; do case "$a" in jsonpath=*) key=\${a#jsonpath=\\{.data.}; key=\${key%\\}}; grep "^$key=" "$f" | cut -d= -f2- | tr -d '\\n' | base64 -w0 ;; esac; done ;;
  create)
    echo "# stub-secret $ns $4"
    for a in "$@"; do case "$a" in --from-literal=*) echo "# literal \${a#--from-literal=}" ;; --docker-username=*) echo "# literal username=\${a#*=}" ;; esac; done ;;
  apply)
    if [ "$2" = "-f" ] && [ "$3" = "-" ]; then
      input=$(cat)
      if header=$(printf '%s\\n' "$input" | grep '^# stub-secret'); then
        set -- $header; printf '%s\\n' "$input" | sed -n 's/^# literal //p' > "$STUB_STATE/secret-$3-$4"
      elif printf '%s\\n' "$input" | grep -q '^kind: Secret'; then
        # A real manifest (infra/zot/k8s/create-pull-secret.sh): the Secret's name and namespace.
        name=$(printf '%s\\n' "$input" | sed -n '/^kind: Secret/,$ s/^  name: //p' | head -n1)
        namespace=$(printf '%s\\n' "$input" | sed -n '/^kind: Secret/,$ s/^  namespace: //p' | head -n1)
        printf '%s\\n' "$input" | sed -n 's/^  \\.dockerconfigjson: /dockerconfigjson=/p' > "$STUB_STATE/secret-$namespace-$name"
      fi
    fi ;;
esac
exit 0
`;
  const HELM = `#!/usr/bin/env bash
echo "helm $*" >> "$STUB_STATE/calls"
`;

  /** Runs the bootstrap on a variant's synth output; `edit` may change the files first. */
  function run(variant: VariantName, env: Record<string, string>, edit: (file: string, content: string) => string = (_f, c) => c) {
    const dist = join(root, variant, 'dist');
    if (!existsSync(dist)) {
      for (const [file, content] of Object.entries(synth(variant).files)) {
        mkdirSync(dirname(join(dist, file)), { recursive: true });
        writeFileSync(join(dist, file), edit(file, content));
      }
    }
    const bin = join(root, variant, 'bin');
    const state = join(root, variant, 'state');
    mkdirSync(bin, { recursive: true });
    mkdirSync(state, { recursive: true });
    writeFileSync(join(bin, 'kubectl'), KUBECTL);
    writeFileSync(join(bin, 'helm'), HELM);
    chmodSync(join(bin, 'kubectl'), 0o755);
    chmodSync(join(bin, 'helm'), 0o755);
    rmSync(join(state, 'calls'), { force: true });
    const result = spawnSync('bash', [BOOTSTRAP], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: root, STUB_STATE: state, DIST: dist, ...env },
    });
    const calls = existsSync(join(state, 'calls')) ? readFileSync(join(state, 'calls'), 'utf8') : '';
    const secret = (ns: string, secretName: string): Record<string, string> => {
      const file = join(state, `secret-${ns}-${secretName}`);
      if (!existsSync(file)) return {};
      return Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    };
    return { ...result, calls, secret };
  }

  /** Every `helm upgrade --install` / `helm install` the bootstrap ran names an exact chart version. */
  function assertHelmPinned(calls: string): void {
    const installs = calls.split('\n').filter((l) => /^helm (upgrade --install|install) /.test(l));
    assert.ok(installs.length >= 3, `too few helm installs:\n${calls}`);
    for (const line of installs) assert.match(line, / --version [0-9][^ ]*( |$)/, `unpinned: ${line}`);
    assert.doesNotMatch(calls, /latest/, 'a `latest` in what the bootstrap ran');
  }
  const escape = (version: string) => version.replace(/\./g, '\\.');

  it('installs Strimzi, KubeVirt with CDI, the ingress controller, Prometheus (pinned) and Grafana, and creates the Secrets', () => {
    const first = run('gke-kubevirt-ingress', { ZOT_USERNAME: 'puller', ZOT_PASSWORD: 'pull-pass' });
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(first.calls, /helm upgrade --install strimzi-cluster-operator oci:\/\/quay.io\/strimzi-helm\/strimzi-kafka-operator --version 1\.2\.0 .*watchNamespaces=\{oleada\}/);
    assert.match(first.calls, /STRIMZI_POD_SECURITY_PROVIDER_CLASS/);
    assert.match(first.calls, /kubectl apply -f https:\/\/github.com\/kubevirt\/kubevirt\/releases\/download\/v1\.9\.0\/kubevirt-operator\.yaml/);
    assert.match(first.calls, new RegExp(`containerized-data-importer/releases/download/${escape(pinned('cdi').version)}/cdi-cr\\.yaml`));
    assert.doesNotMatch(first.calls, /useEmulation/, 'GKE uses nested virtualization, not emulation');
    assert.match(
      first.calls,
      new RegExp(`helm upgrade --install nginx-ingress oci://ghcr.io/nginx/charts/nginx-ingress --version ${escape(pinned('nginx-ingress').version)} --namespace nginx-ingress .*nginx-ingress-values\\.yaml`),
    );
    assert.match(first.calls, /helm repo add grafana-community https:\/\/grafana-community\.github\.io\/helm-charts --force-update/);
    assert.match(
      first.calls,
      new RegExp(`helm upgrade --install grafana grafana-community/grafana --version ${escape(GRAFANA_CHART_VERSION)} --namespace oleada-monitoring .*grafana-values\\.yaml`),
    );
    assert.doesNotMatch(first.calls, /grafana\.github\.io/, 'the frozen grafana/helm-charts repository');
    assertHelmPinned(first.calls);
    const version = PROMETHEUS_CHART_VERSION.replace(/\./g, '\\.');
    assert.match(first.calls, /helm repo add prometheus-community https:\/\/prometheus-community\.github\.io\/helm-charts --force-update/);
    assert.match(
      first.calls,
      new RegExp(`helm upgrade --install prometheus prometheus-community/prometheus --version ${version} --namespace oleada-monitoring --values \\S+/helm/prometheus-values\\.yaml --wait`),
    );
    assert.ok(first.calls.indexOf('prometheus-community/prometheus') < first.calls.indexOf('grafana-community/grafana'), 'Prometheus must be installed before Grafana');
    assert.doesNotMatch(first.calls, /gateway-api|nginx-gateway-fabric/);

    const valkey = first.secret('oleada', 'valkey-auth');
    assert.deepEqual(Object.keys(valkey).sort(), ['consumer-password', 'gateway-password', 'grafana-password', 'replication-password']);
    for (const value of Object.values(valkey)) assert.match(value, /^[0-9a-f]{48}$/);
    assert.deepEqual(first.secret('oleada-monitoring', 'grafana-valkey'), { password: valkey['grafana-password'] });
    assert.match(first.secret('oleada-monitoring', 'grafana-admin')['admin-password'], /^[0-9a-f]{32}$/);
    const dockerConfig = JSON.parse(Buffer.from(first.secret('oleada', 'zot-pull-secret').dockerconfigjson, 'base64').toString());
    assert.deepEqual(dockerConfig, { auths: { 'zot.oleada.test:5000': { auth: Buffer.from('puller:pull-pass').toString('base64') } } });
    assert.doesNotMatch(first.stdout, new RegExp(valkey['consumer-password']), 'a password was printed');
    assert.deepEqual(first.secret('oleada', 'rabbitmq-auth'), {}, 'a RabbitMQ Secret without RabbitMQ');

    const second = run('gke-kubevirt-ingress', {});
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.deepEqual(second.secret('oleada', 'valkey-auth'), valkey, 'passwords changed on a second run');
    assert.match(second.stdout, /zot-pull-secret exists: kept/);
    assert.match(second.stdout, /valkey-auth exists: kept/);
  });

  it('uses Gateway API with NGINX Gateway Fabric, and KubeVirt emulation when synth says so', () => {
    // As `OLEADA_KUBEVIRT_EMULATION=true npx cdk8s synth` writes it (EKS without metal instances).
    const emulate = (file: string, content: string) =>
      file === 'bootstrap.env' ? content.replace("OLEADA_KUBEVIRT_EMULATION='false'", "OLEADA_KUBEVIRT_EMULATION='true'") : content;
    const result = run('eks-kubevirt-gateway-api', { ZOT_USERNAME: 'u', ZOT_PASSWORD: 'p' }, emulate);
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.calls, /kubectl -n kubevirt patch kubevirt kubevirt --type merge -p .*"useEmulation":true/);
    // NGF 2.6 supports Gateway API 1.5.1: the CRDs and the chart are pinned together.
    assert.equal(pinned('gateway-api').version, 'v1.5.1');
    assert.match(result.calls, /kubectl apply --server-side -f https:\/\/github.com\/kubernetes-sigs\/gateway-api\/releases\/download\/v1\.5\.1\/standard-install\.yaml/);
    assert.match(
      result.calls,
      new RegExp(`helm upgrade --install ngf oci://ghcr.io/nginx/charts/nginx-gateway-fabric --version ${escape(pinned('nginx-gateway-fabric').version)} `),
    );
    assert.match(pinned('nginx-gateway-fabric').version, /^2\.6\./);
    assert.doesNotMatch(result.calls, /nginx-ingress/);
    assertHelmPinned(result.calls);
  });

  it('skips KubeVirt and CDI when Valkey runs as StatefulSets; PROMETHEUS_CHART_VERSION overrides the pin', () => {
    const result = run('kind-statefulset-ingress', { ZOT_USERNAME: 'u', ZOT_PASSWORD: 'p', PROMETHEUS_CHART_VERSION: '99.1.0' });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.doesNotMatch(result.calls, /kubevirt/);
    assert.match(result.calls, /prometheus-community\/prometheus --version 99\.1\.0 /, 'PROMETHEUS_CHART_VERSION does not override the pin');
    assert.match(result.stdout, /KubeVirt and CDI: not needed/);
  });

  it('with RabbitMQ alone: its Secret (user, password, Erlang cookie) once, and no Strimzi', () => {
    const first = run('kind-statefulset-ingress-rabbitmq', { ZOT_USERNAME: 'u', ZOT_PASSWORD: 'p' });
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.doesNotMatch(first.calls, /strimzi/);
    assert.match(first.stdout, /Strimzi: not needed/);
    const secret = first.secret('oleada', 'rabbitmq-auth');
    assert.deepEqual(Object.keys(secret).sort(), [RABBITMQ_SECRET_KEYS.password, RABBITMQ_SECRET_KEYS.username, RABBITMQ_SECRET_KEYS.erlangCookie].sort());
    assert.equal(secret[RABBITMQ_SECRET_KEYS.username], 'oleada');
    assert.match(secret[RABBITMQ_SECRET_KEYS.password], /^[0-9a-f]{48}$/);
    assert.match(secret[RABBITMQ_SECRET_KEYS.erlangCookie], /^[0-9a-f]{64}$/);
    assert.doesNotMatch(first.stdout, new RegExp(secret[RABBITMQ_SECRET_KEYS.password]), 'the password was printed');

    const second = run('kind-statefulset-ingress-rabbitmq', {});
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.deepEqual(second.secret('oleada', 'rabbitmq-auth'), secret, 'the RabbitMQ Secret changed on a second run');
    assert.match(second.stdout, /rabbitmq-auth exists: kept/);
  });

  it('with both brokers: Strimzi and the RabbitMQ Secret', () => {
    const result = run('gke-kubevirt-ingress-both', { ZOT_USERNAME: 'u', ZOT_PASSWORD: 'p' });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.calls, /helm upgrade --install strimzi-cluster-operator/);
    assert.equal(result.secret('oleada', 'rabbitmq-auth')[RABBITMQ_SECRET_KEYS.username], 'oleada');
  });

  it('stops with a clear message before synth, and without registry credentials', () => {
    const noDist = spawnSync('bash', [BOOTSTRAP], { encoding: 'utf8', env: { ...process.env, DIST: join(root, 'nowhere') } });
    assert.notEqual(noDist.status, 0);
    assert.match(noDist.stderr, /bootstrap\.env not found: run .*cdk8s synth/);
    rmSync(join(root, 'kind-statefulset-ingress', 'state'), { recursive: true, force: true });
    const noCredentials = run('kind-statefulset-ingress', {});
    assert.notEqual(noCredentials.status, 0);
    assert.match(noCredentials.stderr, /set ZOT_USERNAME and ZOT_PASSWORD/);
  });

  it('--print-versions lists every pinned piece with its version, support and source, without a cluster or synth', () => {
    const result = spawnSync('bash', [BOOTSTRAP, '--print-versions'], { encoding: 'utf8', env: { ...process.env, DIST: join(root, 'nowhere') } });
    assert.equal(result.status, 0, result.stderr);
    for (const c of PINNED_COMPONENTS) {
      assert.match(result.stdout, new RegExp(`^${c.id} +${escape(c.version)} `, 'm'), `${c.id} missing`);
      assert.ok(result.stdout.includes(c.source), `${c.id}: no source`);
    }
  });

  it('refuses `latest` in place of a pin', () => {
    const overrides: Record<string, string>[] = [{ CDI_VERSION: 'latest' }, { GATEWAY_API_VERSION: 'latest' }, { GRAFANA_CHART_VERSION: 'latest' }];
    for (const env of overrides) {
      const result = run('kind-statefulset-ingress', { ZOT_USERNAME: 'u', ZOT_PASSWORD: 'p', ...env });
      assert.notEqual(result.status, 0, JSON.stringify(env));
      assert.match(result.stderr, /name an exact version/);
      assert.doesNotMatch(result.calls, /helm upgrade/);
    }
  });

  it('is executable', () => {
    execFileSync('test', ['-x', BOOTSTRAP]);
  });
});
