import type { Credentials } from './auth';
import type { RegistryClientOptions } from './registry-client';

/** What the OCI tools read from the environment; the same names are used by Locust and the scripts. */
export interface OciEnvironment {
  /** `REGISTRY`: `host:port` of Zot. */
  readonly registry?: string;
  /** `ZOT_USERNAME` / `ZOT_PASSWORD`. */
  readonly credentials?: Credentials;
  /** `REGISTRY_INSECURE=1`: plain HTTP, loopback only (tests, a local registry). */
  readonly insecure: boolean;
  /** `REGISTRY_CA_FILE`: PEM of Zot's CA when its certificate is self-signed. */
  readonly caFile?: string;
  /** `OLEADA_DATASET_REF`: where to publish (one scenario only). */
  readonly datasetRef?: string;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}

export function readOciEnvironment(env: NodeJS.ProcessEnv = process.env): OciEnvironment {
  const username = env.ZOT_USERNAME?.trim() || undefined;
  const password = env.ZOT_PASSWORD || undefined;
  if ((username === undefined) !== (password === undefined)) {
    throw new Error(`set both ZOT_USERNAME and ZOT_PASSWORD, or neither (${username ? 'ZOT_PASSWORD' : 'ZOT_USERNAME'} is missing)`);
  }
  const registry = env.REGISTRY?.trim() || undefined;
  if (registry && /^[a-z]+:\/\//i.test(registry)) {
    throw new Error(`REGISTRY must be host[:port] without a scheme, got "${registry}" (use REGISTRY_INSECURE=1 for http)`);
  }
  return {
    registry,
    credentials: username && password ? { username, password } : undefined,
    insecure: flag(env.REGISTRY_INSECURE),
    caFile: env.REGISTRY_CA_FILE?.trim() || undefined,
    datasetRef: env.OLEADA_DATASET_REF?.trim() || undefined,
  };
}

export function clientOptions(env: OciEnvironment, registry: string): RegistryClientOptions {
  return { registry, credentials: env.credentials, insecure: env.insecure, caFile: env.caFile };
}
