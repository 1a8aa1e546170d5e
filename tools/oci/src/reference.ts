/**
 * An artifact reference: `host[:port]/repository[:tag][@sha256:…]`, optionally prefixed `oci://`.
 * Unlike Docker's short names there is no default registry: Oleada always names its Zot host.
 */
export interface Reference {
  /** `host` or `host:port`, exactly as written. */
  readonly registry: string;
  /** Lower-case path, e.g. `oleada/datasets/blackfriday`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

// Grammar from the distribution spec: path components and tags.
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function parseReference(input: string): Reference {
  const raw = input.startsWith('oci://') ? input.slice('oci://'.length) : input;
  const bad = (why: string): Error =>
    new Error(`invalid artifact reference "${input}": ${why} (expected host[:port]/repository[:tag][@digest])`);

  const slash = raw.indexOf('/');
  if (slash <= 0) throw bad('no registry host');
  const registry = raw.slice(0, slash);
  let rest = raw.slice(slash + 1);

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`bad digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`bad tag "${tag}"`);
  }
  if (!rest) throw bad('no repository');
  for (const part of rest.split('/')) {
    if (!COMPONENT.test(part)) throw bad(`bad repository component "${part}"`);
  }
  if (!tag && !digest) throw bad('no tag or digest');
  return { registry, repository: rest, tag, digest };
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? (ref.tag as string);
}

export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True for `localhost`, 127.0.0.0/8 and `[::1]` (with or without a port). */
export function isLoopbackRegistry(registry: string): boolean {
  let host = registry;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.includes(':')) host = host.slice(0, host.lastIndexOf(':'));
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
