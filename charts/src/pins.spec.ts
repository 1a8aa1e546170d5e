import { endOfLifeReason, KAFKA_VERSION, pinned, type PinnedComponent } from '@oleada/k8s';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { commandLines, unpinnedCommands, unpinnedImages, unpinnedPlugins } from './testing/pins';
import { objectsOf, REPO_ROOT, synth, VARIANT_NAMES } from './testing/variants';

/**
 * Every third-party piece the bootstrap, the charts and the guides install is pinned to an exact
 * version from libs/k8s/src/versions.json, and none is past the end of life its project declared.
 *
 * OLEADA_PINS_ROOT points the file checks at another tree (a copy with something unpinned must fail);
 * OLEADA_PINS_TODAY replaces today's date for the end-of-life check.
 */
const ROOT = process.env.OLEADA_PINS_ROOT ? resolve(process.env.OLEADA_PINS_ROOT) : REPO_ROOT;
const TODAY = process.env.OLEADA_PINS_TODAY ?? new Date().toISOString().slice(0, 10);
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const components = (JSON.parse(read('libs/k8s/src/versions.json')) as { components: PinnedComponent[] }).components;
const pin = (id: string) => {
  const found = components.find((c) => c.id === id);
  assert.ok(found, `no ${id} in versions.json`);
  return found;
};

/**
 * The guides: every Markdown file outside dependencies and build output. A symbolic link is not
 * followed: the cluster build links third-party sources into the tree (tools/cluster/go/traefik/_local,
 * while `.ci/run` builds in the background), and their READMEs are not ours to pin.
 */
function guides(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (['node_modules', 'dist', '.git', '.cache', 'snapshots'].includes(entry)) return [];
    const path = join(dir, entry);
    if (lstatSync(path).isSymbolicLink()) return [];
    if (statSync(path).isDirectory()) return guides(path);
    return entry.endsWith('.md') ? [relative(ROOT, path)] : [];
  });
}

describe('pins: versions.json', () => {
  it('every piece names an exact version, until when it is supported and a source', () => {
    assert.ok(components.length >= 10);
    for (const c of components) {
      assert.match(c.version, /^v?\d+(\.\d+)*$/, `${c.id}: "${c.version}" is not an exact version`);
      assert.ok(c.supportedUntil.length > 10, `${c.id}: no support statement`);
      assert.match(c.source, /^https:\/\//, `${c.id}: no source`);
      if (c.eol !== null) assert.match(c.eol, /^\d{4}-\d{2}-\d{2}$/, `${c.id}: eol`);
    }
  });

  it(`no piece is past the end of life its project declared (today ${TODAY})`, () => {
    const expired = components.map((c) => endOfLifeReason(c, TODAY)).filter(Boolean);
    assert.deepEqual(expired, []);
  });

  it('nothing is installed from a repository its project retired', () => {
    const retired = components.flatMap((c) => Object.entries(c.retiredRepositories ?? {}));
    assert.ok(retired.length > 0);
    const files = ['tools/bootstrap/bootstrap.sh', ...guides()];
    for (const [url, since] of retired) {
      for (const file of files) {
        const uses = commandLines(read(file), file.endsWith('.md')).filter((l) => l.includes(url));
        assert.deepEqual(uses, [], `${file} installs from ${url} (retired ${since})`);
      }
    }
  });

  it('docs/versions.md lists every pin with its version, support and source', () => {
    const rows = read('docs/versions.md')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((cell) => cell.trim()));
    for (const c of components) {
      const row = rows.find((r) => r[1] === `\`${c.id}\``);
      assert.ok(row, `docs/versions.md has no row for ${c.id}`);
      assert.equal(row[2], `\`${c.version}\``, `${c.id}: docs/versions.md says ${row[2]}`);
      assert.equal(row[4], c.supportedUntil, `${c.id}: support differs`);
      for (const url of c.source.split(' ; ')) assert.ok(row[5].includes(url), `${c.id}: source ${url} missing`);
    }
    assert.equal(rows.length, components.length, 'docs/versions.md has rows versions.json does not');
  });
});

describe('pins: the bootstrap', () => {
  const script = read('tools/bootstrap/bootstrap.sh');

  it('installs every chart with --version, downloads no `latest`, defaults to no `latest`', () => {
    assert.deepEqual(unpinnedCommands(commandLines(script, false)), []);
  });

  it('takes each version it installs from versions.json', () => {
    for (const c of components.filter((x) => x.env)) {
      const reads = new RegExp(`^${c.env}="\\$\\(pinned_version ${c.env} ${c.id}\\)"$`, 'm').test(script);
      assert.ok(reads, `${c.env} is not read from versions.json (expected ${c.env}="$(pinned_version ${c.env} ${c.id})")`);
    }
  });
});

describe('pins: the guides', () => {
  for (const file of guides()) {
    it(file, () => {
      assert.deepEqual(unpinnedCommands(commandLines(read(file), true)), []);
    });
  }
});

describe('pins: local mode runs the Kafka the cluster runs', () => {
  it(`tools/scripts/setup.sh, tools/local and its pom fetch Kafka ${pin('kafka').version}`, () => {
    const version = pin('kafka').version;
    assert.match(read('tools/scripts/setup.sh'), new RegExp(`^KAFKA_VERSION="\\$\\{OLEADA_KAFKA_VERSION:-${version}\\}"$`, 'm'));
    assert.match(read('tools/local/src/infra/paths.ts'), new RegExp(`OLEADA_KAFKA_VERSION \\?\\? '${version}'`));
    assert.match(read('tools/local/kafka/pom.xml'), new RegExp(`<kafka.version>${version}</kafka.version>`));
  });
});

for (const variant of VARIANT_NAMES) {
  describe(`pins: manifests ${variant}`, () => {
    const s = synth(variant);

    it('every image has a tag or digest and none is latest; VMs boot the pinned Fedora', () => {
      const templates = s.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.spec.template.spec);
      const images: string[] = templates.flatMap((t) => [...t.containers, ...(t.initContainers ?? [])].map((c: { image: string }) => c.image));
      const disks: string[] = objectsOf(s, 'VirtualMachine').flatMap((vm) =>
        vm.spec.dataVolumeTemplates.map((t: { spec: { source: { registry?: { url: string } } } }) => t.spec.source.registry?.url).filter(Boolean),
      );
      assert.ok(images.length >= 5);
      assert.deepEqual(unpinnedImages([...images, ...disks.map((d) => d.replace(/^docker:\/\//, ''))]), []);
      for (const disk of disks) assert.equal(disk, `docker://${pinned('fedora').image}`);
    });

    it('the Helm values pin what they install: Grafana plugins as id@version, no image tag latest', () => {
      for (const [file, text] of Object.entries(s.files).filter(([f]) => f.startsWith('helm/'))) {
        const tags: string[] = [];
        JSON.stringify(parse(text), (key, value) => {
          if ((key === 'tag' || key === 'image') && typeof value === 'string') tags.push(value);
          return value;
        });
        assert.ok(!tags.some((t) => /(^|:)latest$/.test(t)), `${file}: latest`);
      }
      const grafana = parse(s.files['helm/grafana-values.yaml']);
      assert.deepEqual(unpinnedPlugins(grafana.plugins), []);
      assert.ok(grafana.plugins.includes(`redis-datasource@${pinned('redis-datasource').version}`));
      assert.match(s.files['helm/grafana-values.yaml'], new RegExp(`^# For grafana-community/grafana ${pinned('grafana').version.replace(/\./g, '\\.')}\\.$`, 'm'));
      assert.match(s.files['helm/prometheus-values.yaml'], new RegExp(`^# For prometheus-community/prometheus ${pinned('prometheus').version.replace(/\./g, '\\.')}\\.$`, 'm'));
    });

    it('Kafka runs the pinned version', () => {
      for (const kafka of objectsOf(s, 'Kafka')) assert.equal(kafka.spec.kafka.version, KAFKA_VERSION);
      assert.equal(KAFKA_VERSION, pinned('kafka').version);
    });
  });
}

describe('pins: the checker', () => {
  it('finds each kind of unpinned install', () => {
    const lines = commandLines(
      [
        'helm upgrade --install grafana grafana/grafana --namespace x \\',
        '  --values v.yaml',
        'helm install ngf oci://ghcr.io/nginx/charts/nginx-gateway-fabric --version latest',
        'kubectl apply -f https://github.com/kubevirt/containerized-data-importer/releases/latest/download/cdi-cr.yaml',
        'CDI_VERSION="${CDI_VERSION:-latest}"',
        'kubectl run x --image=quay.io/containerdisks/fedora:latest',
        'url: docker://quay.io/containerdisks/fedora',
        'helm upgrade --install prometheus prometheus-community/prometheus --version 27.19.0   # pinned',
      ].join('\n'),
      false,
    );
    const problems = unpinnedCommands(lines);
    assert.equal(problems.length, 6, problems.join('\n'));
    assert.deepEqual(unpinnedImages(['quay.io/containerdisks/fedora', 'a/b:latest', 'a/b:1', `a/b@sha256:${'0'.repeat(64)}`]).length, 2);
    assert.deepEqual(unpinnedPlugins(['redis-datasource', 'redis-datasource@2.2.0']), ['plugin redis-datasource has no exact version']);
    assert.ok(endOfLifeReason({ ...pinned('fedora'), version: '42' }, '2026-12-03')?.includes('2026-05-28'));
    assert.equal(existsSync(join(ROOT, 'libs/k8s/src/versions.json')), true);
  });
});
