import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, fetch, type Dispatcher, type Response } from 'undici';
import { basicAuthorization, parseChallenge, type Credentials } from './auth';
import { sha256Digest, verifyDigest } from './digest';
import { isLoopbackRegistry } from './reference';

export interface RegistryClientOptions {
  /** `host` or `host:port`. */
  readonly registry: string;
  /** Sent as Basic auth, or exchanged for a Bearer token when the registry asks for one. */
  readonly credentials?: Credentials;
  /** Plain HTTP instead of HTTPS; refused unless the registry is on loopback. */
  readonly insecure?: boolean;
  /** PEM file of a CA to trust besides the system roots (Zot's self-signed CA). */
  readonly caFile?: string;
  /** Per-request deadline. @default 30000 */
  readonly timeoutMs?: number;
}

/** An error answer of the registry, with the distribution-spec error code when it sent one. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** 401/403 after trying the credentials we have: wrong or missing username/password, or no permission. */
export class RegistryAuthError extends RegistryError {
  constructor(message: string, status: number, code?: string) {
    super(message, status, code);
    this.name = 'RegistryAuthError';
  }
}

export interface ManifestResponse {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
}

interface RequestOptions {
  readonly repository?: string;
  /** Scope actions the request needs (`pull`, `push`), for Bearer tokens. */
  readonly actions?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** Status codes that count as success. */
  readonly expect: readonly number[];
}

const MAX_REDIRECTS = 5;

/**
 * A small client of the OCI distribution API (spec v1.1): what publishing and pulling an artifact
 * needs, nothing more. Blobs go up as a monolithic POST-then-PUT upload; manifests are PUT by tag.
 * Authentication follows the registry's `WWW-Authenticate` challenge: Basic (Zot with htpasswd,
 * distribution with htpasswd) or Bearer tokens fetched from the challenge's realm.
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly dispatcher?: Dispatcher;
  private readonly timeoutMs: number;
  /** Set once the registry has answered with a Basic challenge. */
  private useBasic = false;
  private readonly tokens = new Map<string, string>();

  constructor(private readonly options: RegistryClientOptions) {
    if (options.insecure && !isLoopbackRegistry(options.registry)) {
      throw new Error(
        `REGISTRY_INSECURE=1 (plain HTTP) is only allowed for a loopback registry, not "${options.registry}": ` +
          'use HTTPS, and REGISTRY_CA_FILE for a self-signed certificate',
      );
    }
    this.baseUrl = `${options.insecure ? 'http' : 'https'}://${options.registry}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    if (options.caFile) {
      const ca = readFileSync(options.caFile, 'utf8');
      this.dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
    }
  }

  /** `GET /v2/`: checks the registry speaks the API and that our credentials are accepted. */
  async ping(): Promise<void> {
    await this.request('GET', '/v2/', { expect: [200] });
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, {
      repository,
      actions: 'pull',
      expect: [200, 404],
    });
    return res.status === 200;
  }

  /** Uploads a blob unless the registry has it; returns its digest. */
  async pushBlob(repository: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256Digest(bytes);
    if (await this.blobExists(repository, digest)) return digest;

    const started = await this.request('POST', `/v2/${repository}/blobs/uploads/`, {
      repository,
      actions: 'pull,push',
      expect: [202],
    });
    const location = started.headers.get('location');
    if (!location) throw new RegistryError(`${this.baseUrl}: upload started without a Location header`, started.status);
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', digest);
    const done = await this.request('PUT', url.toString(), {
      repository,
      actions: 'pull,push',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      expect: [201],
    });
    const stored = done.headers.get('docker-content-digest');
    if (stored && stored !== digest) {
      throw new RegistryError(`registry stored blob as ${stored}, expected ${digest}`, done.status);
    }
    return digest;
  }

  /** PUTs a manifest under `reference` (a tag); returns its digest, checked against the registry's. */
  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      repository,
      actions: 'pull,push',
      headers: { 'content-type': mediaType },
      body: bytes,
      expect: [201],
    });
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest) {
      throw new RegistryError(`registry stored manifest as ${stored}, expected ${digest}`, res.status);
    }
    return digest;
  }

  /** GETs a manifest and verifies its digest (against the reference when it is one, else the header). */
  async getManifest(repository: string, reference: string, accept: readonly string[]): Promise<ManifestResponse> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      repository,
      actions: 'pull',
      headers: { accept: accept.join(', ') },
      expect: [200],
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const expected = reference.includes(':') ? reference : res.headers.get('docker-content-digest');
    if (expected) verifyDigest(bytes, expected);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    return { bytes, mediaType, digest: expected ?? sha256Digest(bytes) };
  }

  /** GETs a blob and verifies it hashes to `digest` (and has `size` bytes when given). */
  async getBlob(repository: string, digest: string, size?: number): Promise<Uint8Array> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, {
      repository,
      actions: 'pull',
      expect: [200],
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    verifyDigest(bytes, digest, size);
    return bytes;
  }

  private async request(method: string, pathOrUrl: string, opts: RequestOptions): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl);
    const scope = opts.repository ? `repository:${opts.repository}:${opts.actions ?? 'pull'}` : undefined;
    let res = await this.send(method, url, opts, this.authorization(scope));
    if (res.status === 401) {
      await this.answerChallenge(res, scope);
      res = await this.send(method, url, opts, this.authorization(scope));
    }
    if (opts.expect.includes(res.status)) return res;
    throw await this.errorFor(method, url, res);
  }

  /** One HTTP exchange; follows GET/HEAD redirects (blob storage), dropping credentials across origins. */
  private async send(method: string, url: URL, opts: RequestOptions, authorization?: string): Promise<Response> {
    let target = url;
    for (let hop = 0; ; hop++) {
      const sameOrigin = target.origin === url.origin;
      const headers: Record<string, string> = { 'user-agent': 'oleada-oci/0.1', ...opts.headers };
      if (authorization && sameOrigin) headers.authorization = authorization;
      let res: Response;
      try {
        res = await fetch(target, {
          method,
          headers,
          body: opts.body,
          redirect: 'manual',
          dispatcher: this.dispatcher,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        throw new Error(`cannot reach registry ${this.options.registry} (${method} ${target.origin}${target.pathname})${cause}`, {
          cause: err,
        });
      }
      const location = res.headers.get('location');
      if ((method === 'GET' || method === 'HEAD') && res.status >= 300 && res.status < 400 && location) {
        if (hop >= MAX_REDIRECTS) throw new RegistryError(`too many redirects from ${url}`, res.status);
        await res.body?.cancel();
        target = new URL(location, target);
        continue;
      }
      return res;
    }
  }

  private authorization(scope?: string): string | undefined {
    if (this.useBasic && this.options.credentials) return basicAuthorization(this.options.credentials);
    const token = this.tokens.get(scope ?? '') ?? this.tokens.get('');
    return token ? `Bearer ${token}` : undefined;
  }

  private async answerChallenge(res: Response, scope?: string): Promise<void> {
    await res.body?.cancel();
    const header = res.headers.get('www-authenticate');
    if (!header) return;
    const challenge = parseChallenge(header);
    const credentials = this.options.credentials;
    if (challenge.scheme === 'basic') {
      if (!credentials) {
        throw new RegistryAuthError(
          `registry ${this.options.registry} requires authentication: set ZOT_USERNAME and ZOT_PASSWORD`,
          401,
          'UNAUTHORIZED',
        );
      }
      this.useBasic = true;
      return;
    }
    if (challenge.scheme === 'bearer') {
      const realm = challenge.params.realm;
      if (!realm) throw new RegistryError(`registry ${this.options.registry} sent a Bearer challenge without a realm`, 401);
      const tokenUrl = new URL(realm);
      if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
      const wanted = challenge.params.scope ?? scope;
      if (wanted) tokenUrl.searchParams.set('scope', wanted);
      const headers: Record<string, string> = { 'user-agent': 'oleada-oci/0.1' };
      if (credentials) headers.authorization = basicAuthorization(credentials);
      const tokenRes = await fetch(tokenUrl, {
        headers,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (tokenRes.status === 401 || tokenRes.status === 403) {
        await tokenRes.body?.cancel();
        throw this.authFailure(tokenRes.status, 'the token service refused the credentials');
      }
      if (!tokenRes.ok) throw new RegistryError(`token service ${tokenUrl.origin} answered ${tokenRes.status}`, tokenRes.status);
      const body = (await tokenRes.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new RegistryError(`token service ${tokenUrl.origin} returned no token`, tokenRes.status);
      this.tokens.set(scope ?? '', token);
      return;
    }
    throw new RegistryError(`registry ${this.options.registry} asks for unsupported auth scheme "${challenge.scheme}"`, 401);
  }

  private authFailure(status: number, detail: string, code?: string): RegistryAuthError {
    const who = this.options.credentials ? `user "${this.options.credentials.username}"` : 'anonymous';
    const what =
      status === 403
        ? `${who} is not allowed to do this on ${this.options.registry}`
        : `authentication to ${this.options.registry} failed for ${who}: check ZOT_USERNAME and ZOT_PASSWORD`;
    return new RegistryAuthError(`${what} (${detail})`, status, code);
  }

  private async errorFor(method: string, url: URL, res: Response): Promise<RegistryError> {
    const text = await res.text().catch(() => '');
    let code: string | undefined;
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = parsed.errors?.[0];
      if (first) {
        code = first.code;
        message = `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`;
      }
    } catch {
      /* not a distribution-spec error body */
    }
    const detail = `${method} ${url.pathname} → ${res.status}${message ? ` ${message}` : ''}`;
    if (res.status === 401 || res.status === 403) return this.authFailure(res.status, detail, code);
    return new RegistryError(`registry ${this.options.registry}: ${detail}`, res.status, code);
  }
}
