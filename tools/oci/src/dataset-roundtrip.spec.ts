import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { getScenario } from '@oleada/scenarios';
import { datasetLayerBytes, defaultDatasetReference, publishDataset, pullDataset } from './dataset-artifact';
import { sha256Digest } from './digest';
import { DATASET_ARTIFACT_TYPE, DATASET_LAYER, OCI_MANIFEST } from './media-types';
import { parseReference } from './reference';
import { RegistryAuthError, RegistryClient } from './registry-client';
import { findPython } from './testing/python';
import { startRegistry, type RegistryServer } from './testing/registry-server';

const REPO_ROOT = resolve(__dirname, '../../..');
const CLI = resolve(REPO_ROOT, 'tools/oci/dist/cli.js');

/** Runs a snippet with locust/ on sys.path; it prints one JSON line. */
const PULL_SNIPPET = `
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import oleada_dataset as od
try:
    pulled = od.pull_dataset(sys.argv[2])
    loaded = od.load_dataset("blackfriday")
    print(json.dumps({
        "manifest_digest": pulled.manifest_digest,
        "layer_digest": pulled.layer_digest,
        "sha256": "sha256:" + hashlib.sha256(pulled.data).hexdigest(),
        "loaded": loaded,
    }))
except od.DatasetError as exc:
    print(type(exc).__name__ + ": " + str(exc), file=sys.stderr)
    sys.exit(3)
`;

describe('data set artifact against a real registry (docker-registry on loopback, htpasswd/bcrypt)', () => {
  const scenario = getScenario('blackfriday');
  let server: RegistryServer;
  let python: string;
  // A missing tool or a registry that cannot start fails every test with the reason (never a skip).
  let setupError: unknown;

  before(async () => {
    try {
      python = findPython(REPO_ROOT);
      server = await startRegistry();
    } catch (err) {
      setupError = err;
    }
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    if (setupError) throw setupError;
  });

  const client = (password = server.password, username = server.username) =>
    new RegistryClient({ registry: server.registry, credentials: { username, password }, insecure: true });
  const pythonPull = (reference: string, env: Record<string, string>) =>
    spawnSync(python, ['-c', PULL_SNIPPET, resolve(REPO_ROOT, 'locust'), reference], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });

  it('is pushed from TypeScript and pulled by locust/oleada_dataset.py with equal checksums', async () => {
    const ref = parseReference(defaultDatasetReference(server.registry, scenario));
    const published = await publishDataset(client(), ref, scenario);
    assert.equal(published.layerDigest, sha256Digest(datasetLayerBytes(scenario)));

    const reference = `oci://${server.registry}/oleada/datasets/blackfriday:v1`;
    const run = pythonPull(reference, {
      OLEADA_DATASET: `oci://${server.registry}/oleada/datasets/{scenario}:v1`,
      ZOT_USERNAME: server.username,
      ZOT_PASSWORD: server.password,
      REGISTRY_INSECURE: '1',
    });
    assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
    const out = JSON.parse(run.stdout) as { manifest_digest: string; layer_digest: string; sha256: string; loaded: unknown };
    assert.equal(out.manifest_digest, published.manifestDigest);
    assert.equal(out.layer_digest, published.layerDigest);
    assert.equal(out.sha256, published.layerDigest, 'bytes pulled by Python hash to what TypeScript pushed');
    assert.deepEqual(out.loaded, scenario.dataset, 'load_dataset() over OCI returns the scenario data set');
  });

  it('stores an OCI manifest with the Oleada artifactType and layer media type, and pulls back verified', async () => {
    const ref = parseReference(`${server.registry}/oleada/datasets/blackfriday:v1`);
    const manifest = await client().getManifest(ref.repository, 'v1', [OCI_MANIFEST]);
    assert.equal(manifest.mediaType, OCI_MANIFEST);
    const parsed = JSON.parse(new TextDecoder().decode(manifest.bytes)) as { artifactType: string; layers: { mediaType: string }[] };
    assert.equal(parsed.artifactType, DATASET_ARTIFACT_TYPE);
    assert.deepEqual(parsed.layers.map((l) => l.mediaType), [DATASET_LAYER]);

    const pulled = await pullDataset(client(), ref);
    assert.deepEqual(pulled.dataset, scenario.dataset);
    assert.equal(createHash('sha256').update(pulled.bytes).digest('hex'), pulled.layerDigest.slice('sha256:'.length));
  });

  it('publishes reproducibly: the same data gives the same manifest digest', async () => {
    const ref = parseReference(`${server.registry}/oleada/datasets/blackfriday:again`);
    const first = await publishDataset(client(), ref, scenario);
    const second = await publishDataset(client(), ref, scenario);
    assert.equal(first.manifestDigest, second.manifestDigest);
  });

  it('publishes through the CLI the nx target runs (env: REGISTRY, ZOT_USERNAME, ZOT_PASSWORD)', () => {
    const run = spawnSync(process.execPath, [CLI, 'publish-dataset', '--scenario=blackfriday'], {
      encoding: 'utf8',
      env: { ...process.env, REGISTRY: server.registry, ZOT_USERNAME: server.username, ZOT_PASSWORD: server.password, REGISTRY_INSECURE: '1', OLEADA_DATASET_REF: '' },
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`published blackfriday data set: ${server.registry.replace(/\./g, '\\.')}/oleada/datasets/blackfriday:v1@sha256:[a-f0-9]{64}`));
  });

  it('fails with a clear error on wrong credentials (TypeScript client and CLI)', async () => {
    const ref = parseReference(`${server.registry}/oleada/datasets/blackfriday:v1`);
    await assert.rejects(publishDataset(client('wrong-password'), ref, scenario), (err: unknown) => {
      assert.ok(err instanceof RegistryAuthError, String(err));
      assert.equal(err.status, 401);
      assert.match(err.message, /authentication to 127\.0\.0\.1:\d+ failed for user "oleada": check ZOT_USERNAME and ZOT_PASSWORD/);
      return true;
    });
    await assert.rejects(
      pullDataset(new RegistryClient({ registry: server.registry, insecure: true }), ref),
      /requires authentication: set ZOT_USERNAME and ZOT_PASSWORD/,
    );

    const run = spawnSync(process.execPath, [CLI, 'publish-dataset', '--scenario=blackfriday'], {
      encoding: 'utf8',
      env: { ...process.env, REGISTRY: server.registry, ZOT_USERNAME: server.username, ZOT_PASSWORD: 'nope', REGISTRY_INSECURE: '1', OLEADA_DATASET_REF: '' },
      timeout: 60_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^error: authentication to .* failed for user "oleada": check ZOT_USERNAME and ZOT_PASSWORD/m);
  });

  it('fails with a clear error on wrong credentials (Python)', () => {
    const run = pythonPull(`oci://${server.registry}/oleada/datasets/blackfriday:v1`, {
      OLEADA_DATASET: `oci://${server.registry}/oleada/datasets/blackfriday:v1`,
      ZOT_USERNAME: server.username,
      ZOT_PASSWORD: 'wrong-password',
      REGISTRY_INSECURE: '1',
    });
    assert.equal(run.status, 3, `expected a DatasetError exit, got ${run.status}:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /^RegistryAuthError: authentication to 127\.0\.0\.1:\d+ failed for user "oleada": check ZOT_USERNAME and ZOT_PASSWORD/m);
  });

  it('refuses an artifact that is not an Oleada data set', async () => {
    const repo = 'oleada/datasets/not-a-dataset';
    const c = client();
    const config = await c.pushBlob(repo, new TextEncoder().encode('{}'));
    const layer = await c.pushBlob(repo, new TextEncoder().encode('hello'));
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.other+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'text/plain', digest: layer, size: 5 }],
    };
    await c.putManifest(repo, 'v1', new TextEncoder().encode(JSON.stringify(manifest)), OCI_MANIFEST);
    await assert.rejects(pullDataset(c, parseReference(`${server.registry}/${repo}:v1`)), /is not an Oleada data set/);

    const run = pythonPull(`oci://${server.registry}/${repo}:v1`, {
      OLEADA_DATASET: '',
      ZOT_USERNAME: server.username,
      ZOT_PASSWORD: server.password,
      REGISTRY_INSECURE: '1',
    });
    assert.equal(run.status, 3);
    assert.match(run.stderr, /is not an Oleada data set/);
  });
});
