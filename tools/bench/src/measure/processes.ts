import { readProcess } from '@oleada/local';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export { parseCpuSeconds, parseRssMiB, readProcess, type ProcessReading } from '@oleada/local';

/**
 * The pid of the process listening on a TCP port of this machine (a Kafka or Valkey this run
 * reused, so it has no handle with a pid): the socket inode from /proc/net/tcp{,6}, then the
 * process holding it.
 */
export function pidListeningOn(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === '0A' && cols[1].endsWith(`:${hexPort}`)) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** Processes of the Node apps (not the broker, Valkey or the load generator). */
export const NODE_APPS = /^(gateway|relay|writer|consumer)/;

/** The process that drives the load: measured, but not part of the stack's cost (report/cost.ts). */
export const LOAD_GENERATOR = 'load generator';

/** The trace store of a traced run (Jaeger): measured beside the stack, not part of its cost (it runs elsewhere in production). */
export const TRACE_STORE = 'trace store';

export interface ProcessUsage {
  readonly name: string;
  readonly pid: number;
  /** Mean CPU over the window, in % of one core (200 = two cores busy). */
  readonly cpuPercent: number;
  /** CPU milliseconds per event handled in the window (when events were given). */
  readonly cpuMsPerEvent?: number;
  readonly rssMaxMiB: number;
  readonly rssMeanMiB: number;
}

/** Samples CPU and RSS of named processes every `intervalMs` between `start()` and `stop()`. */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private first = new Map<string, { at: number; cpu: number }>();
  private last = new Map<string, { at: number; cpu: number }>();
  private rss = new Map<string, number[]>();
  private stopped = false;

  constructor(
    private readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number | undefined }>,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling (again: only reports); `events` turns CPU time into CPU per event. */
  stop(events?: number): ProcessUsage[] {
    if (!this.stopped) {
      if (this.timer) clearInterval(this.timer);
      this.sample();
      this.stopped = true;
    }
    const out: ProcessUsage[] = [];
    for (const { name, pid } of this.processes) {
      const a = this.first.get(name);
      const b = this.last.get(name);
      const rss = this.rss.get(name) ?? [];
      if (!a || !b || pid === undefined) continue;
      const seconds = (b.at - a.at) / 1000;
      const cpu = b.cpu - a.cpu;
      out.push({
        name,
        pid,
        cpuPercent: seconds > 0 ? (cpu / seconds) * 100 : 0,
        cpuMsPerEvent: events ? (cpu * 1000) / events : undefined,
        rssMaxMiB: Math.max(...rss),
        rssMeanMiB: rss.reduce((s, v) => s + v, 0) / Math.max(1, rss.length),
      });
    }
    return out;
  }

  private sample(): void {
    const at = performance.now();
    for (const { name, pid } of this.processes) {
      if (pid === undefined) continue;
      const reading = pid === process.pid ? { cpuSeconds: selfCpuSeconds(), rssMiB: process.memoryUsage.rss() / 1048576 } : readProcess(pid);
      if (!reading) continue;
      if (!this.first.has(name)) this.first.set(name, { at, cpu: reading.cpuSeconds });
      this.last.set(name, { at, cpu: reading.cpuSeconds });
      let list = this.rss.get(name);
      if (!list) this.rss.set(name, (list = []));
      list.push(reading.rssMiB);
    }
  }
}

function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
