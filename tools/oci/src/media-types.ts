/** OCI media types this package reads and writes. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** The OCI 1.1 "empty" descriptor: the config of an artifact that has no configuration. */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_DATA = '{}';
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** What an Oleada scenario data set is, as an artifact (`artifactType`) and as its one layer. */
export const DATASET_ARTIFACT_TYPE = 'application/vnd.oleada.dataset.v1+json';
export const DATASET_LAYER = 'application/vnd.oleada.dataset.layer.v1+json';

/** Standard annotation keys (OCI image-spec, annotations.md). */
export const ANNOTATION_TITLE = 'org.opencontainers.image.title';
export const ANNOTATION_VERSION = 'org.opencontainers.image.version';
export const ANNOTATION_DESCRIPTION = 'org.opencontainers.image.description';
export const ANNOTATION_SCENARIO = 'dev.oleada.scenario';
