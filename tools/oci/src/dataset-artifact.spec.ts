import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getScenario } from '@oleada/scenarios';
import { buildDatasetManifest, datasetLayerBytes, defaultDatasetReference, datasetVersion } from './dataset-artifact';
import { sha256Digest } from './digest';
import { DATASET_ARTIFACT_TYPE, DATASET_LAYER, OCI_EMPTY, OCI_EMPTY_DATA, OCI_EMPTY_DIGEST, OCI_MANIFEST } from './media-types';

describe('data set artifact', () => {
  const scenario = getScenario('blackfriday');

  it('is tagged v<version> under oleada/datasets/<scenario>', () => {
    assert.equal(datasetVersion(scenario), '1');
    assert.equal(defaultDatasetReference('zot:5000', scenario), 'zot:5000/oleada/datasets/blackfriday:v1');
  });

  it('has an OCI 1.1 artifact manifest: artifactType, empty config, one data layer', () => {
    const layer = datasetLayerBytes(scenario);
    const manifest = buildDatasetManifest(scenario, layer);
    assert.equal(manifest.mediaType, OCI_MANIFEST);
    assert.equal(manifest.artifactType, DATASET_ARTIFACT_TYPE);
    assert.equal(manifest.config.mediaType, OCI_EMPTY);
    assert.equal(manifest.config.digest, OCI_EMPTY_DIGEST);
    assert.equal(sha256Digest(new TextEncoder().encode(OCI_EMPTY_DATA)), OCI_EMPTY_DIGEST);
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, DATASET_LAYER);
    assert.equal(manifest.layers[0].digest, sha256Digest(layer));
    assert.equal(manifest.layers[0].size, layer.byteLength);
  });

  it('carries exactly the scenario data set', () => {
    assert.deepEqual(JSON.parse(new TextDecoder().decode(datasetLayerBytes(scenario))), scenario.dataset);
  });

  it('rejects a data set without a version', () => {
    assert.throws(() => datasetVersion({ name: 'x', dataset: {} }), /no usable "version"/);
  });
});
