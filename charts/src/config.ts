import { checkTag } from '@oleada/k8s';
import { SCENARIOS, selectScenarios, type AnyScenario } from '@oleada/scenarios';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILE_NAMES, PROFILES, type Profile, type ProfileName } from './profiles';

export const VALKEY_MODES = ['kubevirt', 'statefulset'] as const;
export type ValkeyMode = (typeof VALKEY_MODES)[number];
export const ENTRY_MODES = ['ingress', 'gateway-api'] as const;
export type EntryMode = (typeof ENTRY_MODES)[number];
/** The apps accept only `kafka` today (their BROKER schema); RabbitMQ manifests come with RabbitMQ support. */
export const BROKERS = ['kafka'] as const;
export type Broker = (typeof BROKERS)[number];

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Everything that varies between deployments, in one typed place. */
export interface DeployConfig {
  readonly profile: Profile;
  /** Registry host[:port] of the Zot registry; images are `${registry}/oleada/<app>:<imageTag>`. */
  readonly registry: string;
  readonly imageTag: string;
  readonly namespaces: {
    /** Apps, Kafka, Valkey. */
    readonly app: string;
    /** Grafana. */
    readonly monitoring: string;
    /** The Gateway (gateway-api mode); the controller provisions its data plane there. */
    readonly edge: string;
  };
  /** Scenarios every app serves. */
  readonly scenarios: readonly AnyScenario[];
  readonly broker: Broker;
  readonly valkeyMode: ValkeyMode;
  readonly entry: {
    readonly mode: EntryMode;
    /** IngressClass (ingress mode). */
    readonly ingressClass: string;
    /** GatewayClass (gateway-api mode; NGINX Gateway Fabric's is `nginx`). */
    readonly gatewayClass: string;
    /** Namespace of the pods that reach the gateway (the ingress controller, or the Gateway's data plane). */
    readonly controllerNamespace: string;
    /** Host to match. @default - any */
    readonly host?: string;
  };
  readonly replicas: {
    readonly gateway: Range;
    readonly relay: Range;
    readonly writer1: number;
    readonly writer2: number;
    readonly consumer: Range;
  };
  /** HPA target, percent of the CPU request. */
  readonly cpuTargetUtilization: number;
  readonly kubevirtEmulation: boolean;
  readonly kafkaGroupId: string;
  readonly clusterDomain: string;
  /** Secrets the bootstrap creates (never synthesized: they hold credentials). */
  readonly secrets: {
    /** Image pull Secret for the Zot registry (app namespace; infra/zot/k8s/create-pull-secret.sh). */
    readonly registry: string;
    /** Valkey ACL passwords, one key per user (app namespace). */
    readonly valkey: string;
    /** Grafana admin user/password (monitoring namespace). */
    readonly grafanaAdmin: string;
    /** The Grafana Valkey user's password, key `password` (monitoring namespace). */
    readonly grafanaValkey: string;
  };
}

/** The environment variables synth reads, with their meaning (also printed by `--help`-style errors). */
export const SYNTH_ENV = {
  OLEADA_PROFILE: `cluster profile: ${PROFILE_NAMES.join(' | ')} (default kind)`,
  REGISTRY: 'registry host[:port] of Zot (default localhost:5000)',
  TAG: 'tag of every app image, never latest (default: as tools/images/docker-image.sh tags: the git commit, 12 hex digits, -dirty with local changes)',
  OLEADA_VALKEY: `${VALKEY_MODES.join(' | ')} (default kubevirt)`,
  OLEADA_ENTRY: `${ENTRY_MODES.join(' | ')} (default ingress)`,
  OLEADA_INGRESS_CLASS: 'IngressClass name (default nginx)',
  OLEADA_HOST: 'public host name to match (default: any)',
  OLEADA_SCENARIOS: 'comma-separated scenarios (default: every scenario)',
  OLEADA_KUBEVIRT_EMULATION: 'true | false: KubeVirt software emulation (default: per profile)',
  OLEADA_BROKER: `${BROKERS.join(' | ')} (default kafka)`,
} as const;

const REPO_ROOT = join(__dirname, '..', '..'); // charts/dist/config.js → the repository

/**
 * The tag `docker-push` gives images built from this tree (tools/images/docker-image.sh): the git
 * commit's first 12 hex digits, `-dirty` when the tree has changes; outside git, the package version.
 */
export function defaultImageTag(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const commit = git('rev-parse', 'HEAD').trim();
    return commit.slice(0, 12) + (git('status', '--porcelain').trim() ? '-dirty' : '');
  } catch {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  }
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name}=${value} is invalid: use ${allowed.join(' | ')}`);
  return value as T;
}

function bool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${name}=${value} is invalid: use true | false`);
}

/** The configuration for `env` (the process environment by default); throws naming a bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DeployConfig {
  const profileName: ProfileName = oneOf('OLEADA_PROFILE', env.OLEADA_PROFILE, PROFILE_NAMES, 'kind');
  const profile = PROFILES[profileName];
  const imageTag = env.TAG || defaultImageTag();
  checkTag(imageTag);
  const entryMode = oneOf('OLEADA_ENTRY', env.OLEADA_ENTRY, ENTRY_MODES, 'ingress');
  const scenarioNames = env.OLEADA_SCENARIOS
    ? env.OLEADA_SCENARIOS.split(',').map((s) => s.trim()).filter(Boolean)
    : SCENARIOS.map((s) => s.name);
  const namespaces = { app: 'oleada', monitoring: 'oleada-monitoring', edge: 'oleada-edge' };
  return {
    profile,
    registry: env.REGISTRY || 'localhost:5000',
    imageTag,
    namespaces,
    scenarios: selectScenarios(scenarioNames),
    broker: oneOf('OLEADA_BROKER', env.OLEADA_BROKER, BROKERS, 'kafka'),
    valkeyMode: oneOf('OLEADA_VALKEY', env.OLEADA_VALKEY, VALKEY_MODES, 'kubevirt'),
    entry: {
      mode: entryMode,
      ingressClass: env.OLEADA_INGRESS_CLASS || 'nginx',
      gatewayClass: 'nginx',
      // F5 NGINX Ingress Controller's namespace (tools/bootstrap installs it there), or the Gateway's.
      controllerNamespace: entryMode === 'ingress' ? 'nginx-ingress' : namespaces.edge,
      host: env.OLEADA_HOST || undefined,
    },
    replicas: {
      gateway: { min: 1, max: 3 },
      relay: { min: 1, max: 3 },
      writer1: 1,
      writer2: 2,
      consumer: { min: 1, max: 2 },
    },
    cpuTargetUtilization: 30,
    kubevirtEmulation: bool('OLEADA_KUBEVIRT_EMULATION', env.OLEADA_KUBEVIRT_EMULATION, profile.kubevirt.useEmulation),
    kafkaGroupId: 'oleada-consumer',
    clusterDomain: 'cluster.local',
    // The pull secret is created by infra/zot/k8s/create-pull-secret.sh (which names it zot-pull-secret).
    secrets: { registry: 'zot-pull-secret', valkey: 'valkey-auth', grafanaAdmin: 'grafana-admin', grafanaValkey: 'grafana-valkey' },
  };
}
