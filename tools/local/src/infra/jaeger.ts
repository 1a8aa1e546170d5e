import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './paths';
import { isPortOpen } from './probe';
import { OwnedServer, type ServerHandle } from './server';

/**
 * The local trace store: Jaeger all-in-one v1.76.0 (in-memory storage, OTLP receiver, query API),
 * built from the Go module proxy by `bash tools/cluster/build.sh jaeger` into the cluster tool's
 * cache, like the cluster's other Go programs.
 */
export const DEFAULT_JAEGER_PORT = 14318;

/** Its ports from one base: OTLP/HTTP first (what the apps send to), the query API next. */
export function jaegerPorts(base: number) {
  return { otlpHttp: base, query: base + 1, admin: base + 2, otlpGrpc: base + 3, collectorGrpc: base + 4, collectorHttp: base + 5, queryGrpc: base + 6 };
}

/** Where build.sh puts the binary: OLEADA_JAEGER, else the cluster cache's bin (OLEADA_CLUSTER_CACHE). */
export function jaegerBinary(): string {
  const binary = process.env.OLEADA_JAEGER || join(process.env.OLEADA_CLUSTER_CACHE ?? '/var/cache/oleada-cluster', 'bin', 'jaeger-all-in-one');
  if (!existsSync(binary)) {
    throw new Error(`no Jaeger at ${binary}: build it with \`bash tools/cluster/build.sh jaeger\` (Go; a cold build takes minutes), or set OLEADA_JAEGER`);
  }
  return binary;
}

export interface JaegerHandle extends ServerHandle {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for the apps. */
  readonly otlpEndpoint: string;
  /** Base URL of the query API (`/api/traces`, `/api/services`). */
  readonly queryUrl: string;
}

export interface StartJaegerOptions {
  /** First of seven ports (jaegerPorts). @default 14318 */
  readonly port?: number;
  /** Most traces kept in memory. @default 200000 */
  readonly maxTraces?: number;
  /** @default 60000 */
  readonly startTimeoutMs?: number;
  readonly dieWithParent?: boolean;
}

class OwnedJaeger extends OwnedServer implements JaegerHandle {
  get otlpEndpoint(): string {
    return `http://127.0.0.1:${jaegerPorts(this.port).otlpHttp}`;
  }
  get queryUrl(): string {
    return `http://127.0.0.1:${jaegerPorts(this.port).query}`;
  }
}

/** Whether the query API answers (the store is up and serving). */
async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${jaegerPorts(port).query}/api/services`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a fresh, empty Jaeger on loopback (never reuses one: its traces would mix with ours). */
export async function startJaeger(options: StartJaegerOptions = {}): Promise<JaegerHandle> {
  const port = options.port ?? DEFAULT_JAEGER_PORT;
  const ports = jaegerPorts(port);
  for (const taken of Object.values(ports)) {
    if (await isPortOpen(taken)) throw new Error(`jaeger: port 127.0.0.1:${taken} is already in use`);
  }
  const binary = jaegerBinary();
  const dataDir = runDir(`jaeger-${port}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'jaeger.log');
  const at = (p: number) => `127.0.0.1:${p}`;
  const server = new OwnedJaeger({
    name: 'jaeger',
    port,
    dataDir,
    logFile,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopTimeoutMs: 10_000,
    spawnSpec: {
      name: 'jaeger',
      command: binary,
      args: [
        `--collector.otlp.http.host-port=${at(ports.otlpHttp)}`,
        `--collector.otlp.grpc.host-port=${at(ports.otlpGrpc)}`,
        `--query.http-server.host-port=${at(ports.query)}`,
        `--query.grpc-server.host-port=${at(ports.queryGrpc)}`,
        `--admin.http.host-port=${at(ports.admin)}`,
        `--collector.grpc-server.host-port=${at(ports.collectorGrpc)}`,
        `--collector.http-server.host-port=${at(ports.collectorHttp)}`,
        `--memory.max-traces=${options.maxTraces ?? 200_000}`,
      ],
      cwd: dataDir,
      env: { ...process.env, SPAN_STORAGE_TYPE: 'memory' },
      logFile,
      pidFile: join(dataDir, 'server.pid'),
      dieWithParent: options.dieWithParent,
    },
    isReady: () => answers(port),
  });
  await server.launch(true);
  return server;
}
