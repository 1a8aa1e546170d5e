import { sha256Digest } from './digest';
import {
  ANNOTATION_DESCRIPTION,
  ANNOTATION_SCENARIO,
  ANNOTATION_TITLE,
  ANNOTATION_VERSION,
  DATASET_ARTIFACT_TYPE,
  DATASET_LAYER,
  OCI_EMPTY,
  OCI_EMPTY_DATA,
  OCI_EMPTY_DIGEST,
  OCI_MANIFEST,
} from './media-types';
import { formatReference, manifestReference, type Reference } from './reference';
import type { RegistryClient } from './registry-client';

/** The part of a scenario definition this package reads. */
export interface DatasetSource {
  readonly name: string;
  readonly dataset: unknown;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly data?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ArtifactManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The version a data set declares (`"version": 1` in dataset.json); it becomes the default tag `v1`. */
export function datasetVersion(source: DatasetSource): string {
  const version = (source.dataset as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 0) return String(version);
  if (typeof version === 'string' && /^[A-Za-z0-9._-]+$/.test(version)) return version;
  throw new Error(`the data set of scenario "${source.name}" has no usable "version" field`);
}

export function defaultDatasetTag(source: DatasetSource): string {
  return `v${datasetVersion(source)}`;
}

/** `<registry>/oleada/datasets/<scenario>:v<version>`. */
export function defaultDatasetReference(registry: string, source: DatasetSource): string {
  return `${registry}/oleada/datasets/${source.name}:${defaultDatasetTag(source)}`;
}

/** The layer's bytes: the data set as pretty-printed JSON, so the blob is readable as it is. */
export function datasetLayerBytes(source: DatasetSource): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(source.dataset, null, 2)}\n`);
}

/**
 * The OCI 1.1 artifact manifest of a data set: `artifactType` names what it is, the config is the
 * empty descriptor, and the one layer carries the JSON. No timestamps, so publishing the same data
 * twice yields the same digest.
 */
export function buildDatasetManifest(source: DatasetSource, layer: Uint8Array): ArtifactManifest {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: DATASET_ARTIFACT_TYPE,
    config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_DATA.length, data: 'e30=' },
    layers: [
      {
        mediaType: DATASET_LAYER,
        digest: sha256Digest(layer),
        size: layer.byteLength,
        annotations: { [ANNOTATION_TITLE]: `${source.name}.dataset.json` },
      },
    ],
    annotations: {
      [ANNOTATION_SCENARIO]: source.name,
      [ANNOTATION_VERSION]: datasetVersion(source),
      [ANNOTATION_DESCRIPTION]: `Oleada "${source.name}" scenario sample data (Locust input)`,
    },
  };
}

export interface PublishedDataset {
  /** `registry/repository:tag@manifest-digest`. */
  readonly reference: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  readonly size: number;
}

/** Uploads the empty config and the data layer, then PUTs the manifest under the reference's tag. */
export async function publishDataset(client: RegistryClient, ref: Reference, source: DatasetSource): Promise<PublishedDataset> {
  if (!ref.tag || ref.digest) throw new Error(`publish needs a tag and no digest: ${formatReference(ref)}`);
  const layer = datasetLayerBytes(source);
  const manifest = buildDatasetManifest(source, layer);
  await client.pushBlob(ref.repository, new TextEncoder().encode(OCI_EMPTY_DATA));
  const layerDigest = await client.pushBlob(ref.repository, layer);
  const manifestDigest = await client.putManifest(
    ref.repository,
    ref.tag,
    new TextEncoder().encode(JSON.stringify(manifest)),
    OCI_MANIFEST,
  );
  return {
    reference: `${formatReference(ref)}@${manifestDigest}`,
    manifestDigest,
    layerDigest,
    size: layer.byteLength,
  };
}

export interface PulledDataset {
  readonly manifestDigest: string;
  readonly layerDigest: string;
  /** The layer exactly as stored (its sha256 is `layerDigest`, already verified). */
  readonly bytes: Uint8Array;
  readonly dataset: unknown;
}

/** Fetches a data set artifact, checks it is one (artifactType, layer media type) and verifies digests. */
export async function pullDataset(client: RegistryClient, ref: Reference): Promise<PulledDataset> {
  const got = await client.getManifest(ref.repository, manifestReference(ref), [OCI_MANIFEST]);
  const where = formatReference(ref);
  if (got.mediaType && got.mediaType !== OCI_MANIFEST) {
    throw new Error(`${where} is a ${got.mediaType}, not an OCI image manifest`);
  }
  const manifest = JSON.parse(new TextDecoder().decode(got.bytes)) as Partial<ArtifactManifest>;
  const type = manifest.artifactType ?? manifest.config?.mediaType;
  if (type !== DATASET_ARTIFACT_TYPE) {
    throw new Error(`${where} is not an Oleada data set (artifactType ${type ?? 'missing'}, expected ${DATASET_ARTIFACT_TYPE})`);
  }
  const layers = (manifest.layers ?? []).filter((l) => l.mediaType === DATASET_LAYER);
  if (layers.length !== 1) throw new Error(`${where} has ${layers.length} layers of type ${DATASET_LAYER}, expected 1`);
  const [layer] = layers;
  const bytes = await client.getBlob(ref.repository, layer.digest, layer.size);
  return {
    manifestDigest: got.digest,
    layerDigest: layer.digest,
    bytes,
    dataset: JSON.parse(new TextDecoder().decode(bytes)) as unknown,
  };
}
