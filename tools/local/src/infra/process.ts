import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './paths';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Last `lines` lines of a text file (reads at most the last 256 KiB). */
export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no log file ${file})`;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all.length && all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(e: ExitInfo): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Children started by this Node process and still running; sent SIGTERM when the process exits. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
  });
}

let setprivPath: string | null | undefined;
/**
 * util-linux `setpriv --pdeathsig` makes the kernel send the child SIGTERM when this Node process
 * dies (even by SIGKILL); setpriv execs the real command, so the pid is the server's own.
 */
function setpriv(): string | null {
  if (setprivPath === undefined) setprivPath = process.platform === 'linux' ? (which('setpriv') ?? null) : null;
  return setprivPath;
}

/** `command args` run so that it gets SIGTERM when this Node process dies (through setpriv, where there is one). */
export function dyingWithThisProcess(command: string, args: readonly string[]): [string, string[]] {
  const sp = setpriv();
  return sp ? [sp, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, [...args]];
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Written with the pid while the process runs (used by `infra down`). */
  pidFile?: string;
  /** Kill the child when this Node process dies (Linux, via setpriv). Default true. */
  dieWithParent?: boolean;
}

/** One child process: stdin ignored, stdout+stderr appended to a log file, own process group. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private lastExit: ExitInfo | undefined;

  constructor(readonly spec: SpawnSpec) {}

  get pid(): number | undefined {
    return this.child && this.lastExit === undefined ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  /** Resolves when the current child exits (immediately if none runs). */
  get exited(): Promise<ExitInfo> {
    return this.exitPromise ?? Promise.resolve(this.lastExit ?? { code: null, signal: null });
  }

  get exitInfo(): ExitInfo | undefined {
    return this.lastExit;
  }

  /** Spawns the child. `truncateLog` starts a new log file, otherwise it is appended to. */
  start(truncateLog: boolean): void {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.child?.pid})`);
    installExitHook();
    const { command, args, cwd, env, logFile, pidFile } = this.spec;
    const fd = openSync(logFile, truncateLog ? 'w' : 'a');
    writeSync(fd, `=== ${new Date().toISOString()} ${this.spec.name}: ${[command, ...args].join(' ')}\n`);
    const [cmd, argv] = this.spec.dieWithParent === false ? [command, args] : dyingWithThisProcess(command, args);
    let child: ChildProcess;
    try {
      // detached: own process group, so a Ctrl-C in the terminal reaches only the CLI, which stops
      // the servers in order; setpriv (above) still ends them if this process dies.
      child = spawn(cmd, argv, { cwd, env: env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.lastExit = undefined;
    live.add(child);
    this.exitPromise = new Promise<ExitInfo>((resolveExit) => {
      const done = (info: ExitInfo): void => {
        if (this.child === child && this.lastExit === undefined) this.lastExit = info;
        live.delete(child);
        if (pidFile) {
          try {
            if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(child.pid)) rmSync(pidFile);
          } catch {
            /* ignore */
          }
        }
        resolveExit(info);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', (err) => {
        try {
          writeFileSync(logFile, `spawn ${command} failed: ${err.message}\n`, { flag: 'a' });
        } catch {
          /* ignore */
        }
        done({ code: -1, signal: null });
      });
    });
    if (pidFile && child.pid) writeFileSync(pidFile, `${child.pid}\n`);
  }

  /** Sends a signal (no-op when not running). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child?.kill(sig);
  }

  /** Sends `sig`, waits up to `timeoutMs` for exit, then SIGKILL. Resolves once the child is gone. */
  async stop(timeoutMs: number, sig: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.running) return this.lastExit ?? { code: null, signal: null };
    const exited = this.exited;
    this.signal(sig);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && this.running) {
      writeFileSync(this.spec.logFile, `=== ${new Date().toISOString()} no exit ${timeoutMs} ms after ${sig}: SIGKILL\n`, { flag: 'a' });
      this.signal('SIGKILL');
    }
    return exited;
  }

  logTail(lines = 40): string {
    return tailFile(this.spec.logFile, lines);
  }
}

/** Runs a command to completion with output appended to `logFile`; rejects on non-zero exit. */
export async function runToCompletion(spec: SpawnSpec, timeoutMs: number): Promise<void> {
  const p = new ManagedProcess({ ...spec, pidFile: undefined });
  p.start(false);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    p.exited,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await p.stop(2000, 'SIGKILL');
    throw new Error(`${spec.name} did not finish within ${timeoutMs} ms\n--- last 40 lines of ${spec.logFile} ---\n${p.logTail(40)}`);
  }
  if (result.code !== 0) {
    throw new Error(`${spec.name} ${describeExit(result)}\n--- last 40 lines of ${spec.logFile} ---\n${p.logTail(40)}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export interface RecordedServer {
  dir: string;
  pid: number;
  alive: boolean;
  cmdline: string;
}

/** Servers whose `server.pid` files are in `<runRoot>/*` (or only in `<runRoot>/<names>`). */
export function recordedServers(runRoot: string, names?: string[]): RecordedServer[] {
  if (!existsSync(runRoot)) return [];
  const out: RecordedServer[] = [];
  for (const name of names ?? readdirSync(runRoot)) {
    const pidFile = join(runRoot, name, 'server.pid');
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const alive = pidAlive(pid);
    out.push({ dir: join(runRoot, name), pid, alive, cmdline: alive ? cmdline(pid) : '' });
  }
  return out;
}

/**
 * Stops (SIGTERM, then SIGKILL after `timeoutMs`) the servers recorded under `runRoot` (all, or
 * those in the `names` subdirectories, e.g. `kafka-19092`) whose command line still looks like
 * ours (kafka.Kafka, valkey/redis-server or a RabbitMQ node): ones left by an `infra up` in another terminal or by
 * a crashed test. Returns what it stopped.
 */
export async function stopRecordedServers(runRoot: string, names?: string[], timeoutMs = 30_000): Promise<RecordedServer[]> {
  const targets = recordedServers(runRoot, names).filter(
    (s) => s.alive && /kafka\.Kafka|valkey-server|redis-server|-s rabbit boot/.test(s.cmdline),
  );
  for (const s of targets) {
    try {
      process.kill(s.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const s of targets) {
    while (pidAlive(s.pid) && Date.now() < deadline) await sleep(100);
    if (pidAlive(s.pid)) {
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      rmSync(join(s.dir, 'server.pid'), { force: true });
    } catch {
      /* ignore */
    }
  }
  return targets;
}
