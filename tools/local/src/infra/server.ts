import { describeExit, ManagedProcess, sleep, type SpawnSpec } from './process';

/** A local server: started by this process (owned) or found already answering (reused). */
export interface ServerHandle {
  /** 'kafka' or 'valkey'. */
  readonly name: string;
  /** True when the port already answered the real protocol and this handle did not start anything. */
  readonly reused: boolean;
  readonly port: number;
  /** Data directory (undefined when reused). */
  readonly dataDir: string | undefined;
  /** Log file with the server's stdout/stderr (undefined when reused). */
  readonly logFile: string | undefined;
  /** Pid of the running server process, if owned and running. */
  readonly pid: number | undefined;
  /** Owned and running (reused handles: false). */
  readonly running: boolean;
  /** How the owned process last exited (undefined while running or never started). */
  readonly lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, wait for exit, SIGKILL after a timeout. Idempotent; no-op when reused. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL) to the owned server and waits until it has exited — for fault
   * tests. Start it again with `start()`; data dir and ports stay the same. Throws when reused.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts an owned server that is not running and waits until it answers. Throws when reused. */
  start(): Promise<void>;
  /** Last `lines` (default 40) lines of the server log ('' when reused). */
  logTail(lines?: number): string;
}

export interface OwnedServerConfig {
  name: string;
  port: number;
  dataDir: string;
  logFile: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  spawnSpec: SpawnSpec;
  /** Runs before each spawn (e.g. Kafka storage format); may throw. */
  prepare?: () => Promise<void>;
  /** True once the server answers its protocol for real. Must not throw. */
  isReady: () => Promise<boolean>;
  /** Runs once the server answers (e.g. warming up Kafka's coordinators). Must not throw. */
  afterReady?: () => Promise<void>;
}

export class OwnedServer implements ServerHandle {
  readonly reused = false;
  private readonly proc: ManagedProcess;
  private stopping: Promise<void> | undefined;

  constructor(protected readonly cfg: OwnedServerConfig) {
    this.proc = new ManagedProcess(cfg.spawnSpec);
  }

  get name(): string {
    return this.cfg.name;
  }
  get port(): number {
    return this.cfg.port;
  }
  get dataDir(): string {
    return this.cfg.dataDir;
  }
  get logFile(): string {
    return this.cfg.logFile;
  }
  get pid(): number | undefined {
    return this.proc.pid;
  }
  get running(): boolean {
    return this.proc.running;
  }
  get lastExit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.proc.exitInfo;
  }

  /** First start truncates the log; restarts append to it. */
  async launch(truncateLog: boolean): Promise<void> {
    if (this.proc.running) throw new Error(`${this.name} on port ${this.port} is already running (pid ${this.proc.pid})`);
    this.stopping = undefined;
    await this.cfg.prepare?.();
    const t0 = Date.now();
    this.proc.start(truncateLog);
    const deadline = t0 + this.cfg.startTimeoutMs;
    for (;;) {
      if (!this.proc.running) {
        throw this.failure(`${describeExit(this.proc.exitInfo ?? { code: null, signal: null })} before answering`);
      }
      if (await this.cfg.isReady()) {
        if (!this.proc.running) continue; // answered, then died: report the exit
        await this.cfg.afterReady?.();
        return;
      }
      if (Date.now() > deadline) {
        await this.proc.stop(5000, 'SIGKILL');
        throw this.failure(`did not answer within ${this.cfg.startTimeoutMs} ms (killed)`);
      }
      await Promise.race([sleep(200), this.proc.exited]);
    }
  }

  private failure(what: string): Error {
    return new Error(
      `${this.name} on 127.0.0.1:${this.port} ${what}\n--- last 40 lines of ${this.logFile} ---\n${this.proc.logTail(40)}`,
    );
  }

  start(): Promise<void> {
    return this.launch(false);
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = this.proc.stop(this.cfg.stopTimeoutMs, 'SIGTERM').then(() => undefined);
    }
    return this.stopping;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.proc.stop(signal === 'SIGKILL' ? 5000 : this.cfg.stopTimeoutMs, signal);
  }

  logTail(lines = 40): string {
    return this.proc.logTail(lines);
  }
}

/** Handle for a server that was already answering on its port: stop() does nothing. */
export class ReusedServer implements ServerHandle {
  readonly reused = true;
  readonly dataDir = undefined;
  readonly logFile = undefined;
  readonly pid = undefined;
  readonly running = false;
  readonly lastExit = undefined;
  constructor(
    readonly name: string,
    readonly port: number,
  ) {}
  async stop(): Promise<void> {
    /* not ours */
  }
  async kill(): Promise<void> {
    throw new Error(`${this.name} on port ${this.port} was already running (reused): not owned, cannot kill it`);
  }
  async start(): Promise<void> {
    throw new Error(`${this.name} on port ${this.port} was already running (reused): not owned, cannot start it`);
  }
  logTail(): string {
    return '';
  }
}
