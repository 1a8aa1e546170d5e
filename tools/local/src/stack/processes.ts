import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_MEMORY, nodeHeapFlags, type AppKind } from '@oleada/shared';
import { dyingWithThisProcess } from '../infra/process';

/** One Oleada app started as a child process. */
export interface AppProcessSpec {
  /** Name in logs: `gateway`, `writer-1`, … */
  readonly name: string;
  /** Which app to run: `gateway`, `relay`, `writer`, `consumer`. */
  readonly app: string;
  /** HTTP port serving /health/ready. */
  readonly port: number;
  readonly env: Readonly<Record<string, string>>;
}

/** Where a process listening on `host` (its HOST) is reached from this machine: loopback when it listens on every address. */
export function reachableAddress(host: string | undefined): string {
  return host === undefined || host === '0.0.0.0' ? '127.0.0.1' : host;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A running app: wait for readiness, kill it, restart it with the same settings. */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  readonly logFile: string;

  constructor(
    readonly spec: AppProcessSpec,
    private readonly root: string,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${spec.name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    // The heap flags Kubernetes gives the app (APP_MEMORY, as in NODE_OPTIONS), then any extra flags (OLEADA_NODE_ARGS).
    const heap = this.spec.app in APP_MEMORY ? nodeHeapFlags(this.spec.app as AppKind).split(' ') : [];
    const flags = [...heap, ...(process.env.OLEADA_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    // An app ends with whatever started it (npm start, the demo, a test, the bench), even when that
    // is killed outright and cannot stop it: the kernel sends it SIGTERM (setpriv --pdeathsig).
    const [command, args] = dyingWithThisProcess(process.execPath, [...flags, join(this.root, 'apps', this.spec.app, 'dist', 'main.js')]);
    const child = spawn(command, args, {
      cwd: this.root,
      // Loopback unless the spec says otherwise (a HOST exported in the caller's shell is not the app's).
      env: { ...process.env, SERVICE_NAME: this.spec.name, PORT: String(this.spec.port), HOST: '127.0.0.1', ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once `/health/ready` answers 200; fails with the log tail if the process dies or times out (a bound for a hang: a starved machine can take a minute to boot a Nest app). */
  async waitReady(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.spec.name} exited before it was ready; last log lines:\n${tail(this.logFile, 30)}`);
      try {
        const response = await fetch(`http://${reachableAddress(this.spec.env.HOST)}:${this.spec.port}/health/ready`, { signal: AbortSignal.timeout(5000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.spec.name} was not ready within ${timeoutMs} ms; last log lines:\n${tail(this.logFile, 30)}`);
  }

  /** Sends a signal; with SIGTERM waits for a clean exit (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child?.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  logTail(lines = 30): string {
    return tail(this.logFile, lines);
  }
}
