import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { synthesize } from '../app';
import { loadConfig, type DeployConfig } from '../config';

/** The combinations the tests synthesize: every profile, both Valkey modes, both entries and every broker mode appear… */
export const VARIANTS = {
  'gke-kubevirt-ingress': { OLEADA_PROFILE: 'gke', OLEADA_VALKEY: 'kubevirt', OLEADA_ENTRY: 'ingress' },
  // …and a cloud profile sending its traces to the user's own OTLP collector.
  'eks-kubevirt-gateway-api': { OLEADA_PROFILE: 'eks', OLEADA_VALKEY: 'kubevirt', OLEADA_ENTRY: 'gateway-api', OLEADA_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318' },
  'kind-statefulset-ingress': { OLEADA_PROFILE: 'kind', OLEADA_VALKEY: 'statefulset', OLEADA_ENTRY: 'ingress' },
  'kind-statefulset-ingress-rabbitmq': { OLEADA_PROFILE: 'kind', OLEADA_VALKEY: 'statefulset', OLEADA_ENTRY: 'ingress', OLEADA_BROKER: 'rabbitmq' },
  'gke-kubevirt-ingress-both': { OLEADA_PROFILE: 'gke', OLEADA_VALKEY: 'kubevirt', OLEADA_ENTRY: 'ingress', OLEADA_BROKER: 'both' },
  // …and the local profile with its own trace store (OLEADA_TRACING=jaeger), as test:k8s's Kafka phase with tracing on.
  'local-statefulset-gateway-api': { OLEADA_PROFILE: 'local', OLEADA_ENTRY: 'gateway-api', OLEADA_TRACING: 'jaeger' },
  'local-statefulset-ingress-rabbitmq': { OLEADA_PROFILE: 'local', OLEADA_BROKER: 'rabbitmq', OLEADA_ENTRY: 'ingress' },
} as const;
export type VariantName = keyof typeof VARIANTS;
export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[];

/** Fixed registry and tag, so snapshots do not depend on the environment. */
export const TEST_REGISTRY = 'zot.oleada.test:5000';
export const TEST_TAG = '1.2.3';

/** One synthesized Kubernetes object and the file it came from. */
export interface K8sObject {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly [key: string]: any;
}

export interface Synthesized {
  readonly name: VariantName;
  readonly config: DeployConfig;
  readonly dir: string;
  /** Every file written, by path relative to the output directory. */
  readonly files: Readonly<Record<string, string>>;
  /** Every object of every `*.yaml` manifest at the top level (what `kubectl apply -f dist/` applies). */
  readonly objects: readonly K8sObject[];
}

/** Every file under a directory, at any depth. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const cache = new Map<VariantName, Synthesized>();

export function variantConfig(name: VariantName): DeployConfig {
  return loadConfig({ ...VARIANTS[name], REGISTRY: TEST_REGISTRY, TAG: TEST_TAG });
}

/** Synthesizes a variant exactly as `cdk8s synth` does (into a temporary directory), once per process. */
export function synth(name: VariantName): Synthesized {
  const cached = cache.get(name);
  if (cached) return cached;
  const config = variantConfig(name);
  const dir = mkdtempSync(join(tmpdir(), `oleada-synth-${name}-`));
  synthesize(config, dir);
  const files: Record<string, string> = {};
  for (const path of listFiles(dir).sort()) files[relative(dir, path)] = readFileSync(path, 'utf8');
  const objects: K8sObject[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (file.includes('/') || !/\.(ya?ml|json)$/.test(file)) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const value = doc.toJS() as K8sObject | null;
      if (value) objects.push({ ...value, file });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const result = { name, config, dir, files, objects };
  cache.set(name, result);
  return result;
}

/** The charts package root (charts/), from its compiled location (charts/dist/testing). */
export const CHARTS_ROOT = resolve(__dirname, '..', '..');
export const REPO_ROOT = resolve(CHARTS_ROOT, '..');

export function objectsOf(s: Synthesized, kind: string): K8sObject[] {
  return s.objects.filter((o) => o.kind === kind);
}

export function objectId(o: K8sObject): string {
  return `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name} (${o.file})`;
}
