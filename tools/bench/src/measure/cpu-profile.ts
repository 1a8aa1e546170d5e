import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame; readonly children?: readonly number[] }>;
  /** Microseconds on the system's monotonic clock (the one `process.hrtime` reads). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Milliseconds of CPU (non-idle samples) inside the window. */
  readonly busyMs: number;
  /** Share of busy time per component, highest first. */
  readonly components: ReadonlyArray<{ readonly name: string; readonly share: number }>;
  /** Functions with the most self time, highest first. */
  readonly functions: ReadonlyArray<{ readonly name: string; readonly share: number }>;
}

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

/** `function package/path.js:line` (the path from the package or the lib/app folder on), for tables and flame graphs. */
export function frameName(frame: CallFrame): string {
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(libs|apps)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
}

/** What part of the process a sampled frame belongs to: a package, a Node subsystem, GC, our code. */
export function componentOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) {
    const module = url.slice(5);
    if (/http2/.test(module)) return 'node http2';
    if (/_http_|internal\/http\b/.test(module)) return 'node http';
    if (/stream|net|dns|tcp|socket/.test(module)) return 'node net/streams';
    if (/timers|task_queues|async_hooks|events|event_target/.test(module)) return 'node events/timers';
    if (/modules|bootstrap|realm|fs|path|vm/.test(module)) return 'node startup/modules';
    return 'node other';
  }
  if (/\/(libs|apps)\/[^/]+\//.test(url)) return 'oleada code';
  if (url === '') return `native (${functionName || 'anonymous'})`;
  return 'other JS';
}

/**
 * Self time per component and per function, counting only samples taken between `fromUs` and
 * `toUs` (monotonic microseconds), so start-up and shutdown do not dilute the load.
 */
export function summarizeProfile(profile: CpuProfile, window: { fromUs?: number; toUs?: number } = {}, topFunctions = 12): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let at = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if ((window.fromUs !== undefined && at < window.fromUs) || (window.toUs !== undefined && at > window.toUs)) continue;
    const frame = nodes.get(profile.samples[i]);
    if (!frame) continue;
    const component = componentOf(frame.url, frame.functionName);
    if (component === '(idle)') continue;
    busy += delta;
    byComponent.set(component, (byComponent.get(component) ?? 0) + delta);
    const name = frameName(frame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  }
  const ranked = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, share: busy > 0 ? us / busy : 0 }));
  return { busyMs: busy / 1000, components: ranked(byComponent), functions: ranked(byFunction).slice(0, topFunctions) };
}

/** The profile written by process `pid` into `dir` (`CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`). */
export function readProfileOf(dir: string, pid: number): CpuProfile | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid));
  return file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile) : undefined;
}
