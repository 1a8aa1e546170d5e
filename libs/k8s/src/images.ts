/**
 * The image of an Oleada app in the project's registry (Zot): `${registry}/oleada/<app>:<tag>`.
 * Tags are explicit and never `latest`, so a manifest always names exactly what runs.
 */
export function appImage(registry: string, app: string, tag: string): string {
  if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(registry)) {
    throw new Error(`registry "${registry}" must be host[:port][/path], without a scheme or trailing slash`);
  }
  checkTag(tag);
  return `${registry}/oleada/${app}:${tag}`;
}

/** Rejects `latest` and malformed tags (OCI: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
export function checkTag(tag: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`image tag "${tag}" is not a valid tag`);
  if (tag === 'latest') throw new Error('image tag "latest" is not allowed: name the exact version');
}

/** The tag of an image reference (`repo:tag`, `repo:tag@digest`); undefined when it has none. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  return colon < 0 ? undefined : lastSegment.slice(colon + 1);
}
