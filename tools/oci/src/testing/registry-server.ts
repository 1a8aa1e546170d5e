import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The script that installs what these tests need; named in every "missing tool" failure. */
export const SETUP_SCRIPT = 'tools/scripts/setup-test-tools.sh';

export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The path of a required tool, or an error that says how to install it. */
export function requireTool(command: string, debianPackage: string): string {
  const found = which(command) ?? (existsSync(`/usr/bin/${command}`) ? `/usr/bin/${command}` : undefined);
  if (!found) {
    throw new Error(`"${command}" (Debian package ${debianPackage}) is not installed: run bash ${SETUP_SCRIPT}`);
  }
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RegistryServer {
  /** `127.0.0.1:<port>`. */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  stop(): Promise<void>;
}

export interface RegistryConfigOptions {
  /** `host:port` to listen on (loopback). */
  readonly addr: string;
  /** Filesystem storage root. */
  readonly root: string;
  /** bcrypt htpasswd file. */
  readonly htpasswd: string;
  /** The HTTP secret (random per start). */
  readonly secret: string;
  /** Serve TLS with this certificate and key (PEM files), as Zot is configured. @default - plain HTTP */
  readonly tls?: { readonly certificate: string; readonly key: string };
  /** @default 'oleada-test' */
  readonly realm?: string;
}

/**
 * The configuration of Debian's `docker-registry` (CNCF distribution v2) standing in for Zot:
 * filesystem storage with deletes, htpasswd (bcrypt) authentication, optionally TLS. Used by the
 * tests' loopback registry and by the local cluster's (tools/cluster).
 */
export function registryConfig(options: RegistryConfigOptions): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${options.root}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${options.addr}`,
    `  secret: ${options.secret}`,
    ...(options.tls ? ['  tls:', `    certificate: ${options.tls.certificate}`, `    key: ${options.tls.key}`] : []),
    'auth:',
    '  htpasswd:',
    `    realm: ${options.realm ?? 'oleada-test'}`,
    `    path: ${options.htpasswd}`,
    '',
  ].join('\n');
}

/**
 * Starts Debian's `docker-registry` (CNCF distribution v2) on a free loopback port with htpasswd
 * (bcrypt) authentication and filesystem storage in a temporary directory. Throws, naming the
 * setup script, when the binaries are missing or the server does not come up.
 */
export async function startRegistry(): Promise<RegistryServer> {
  const binary = requireTool('docker-registry', 'docker-registry');
  const htpasswd = requireTool('htpasswd', 'apache2-utils');
  const dir = mkdtempSync(join(tmpdir(), 'oleada-registry-'));
  const username = 'oleada';
  const password = randomBytes(12).toString('hex');

  const hash = spawnSync(htpasswd, ['-Bbn', username, password], { encoding: 'utf8' });
  if (hash.status !== 0) throw new Error(`htpasswd failed: ${hash.stderr}`);
  writeFileSync(join(dir, 'htpasswd'), hash.stdout, { mode: 0o600 });

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const registry = `127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'config.yml'),
      registryConfig({ addr: registry, root: join(dir, 'data'), htpasswd: join(dir, 'htpasswd'), secret: randomBytes(16).toString('hex') }),
    );
    const logFile = join(dir, `registry-${attempt}.log`);
    const log = openSync(logFile, 'w');
    const child: ChildProcess = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

    const deadline = Date.now() + 15_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.status === 401) {
          up = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (up) {
      return {
        registry,
        username,
        password,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    lastError = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start on loopback (is ${SETUP_SCRIPT} up to date?); last log:\n${lastError}`);
}
