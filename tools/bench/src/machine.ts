import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  /** CPUs this process may use (`nproc`). */
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly java: string;
  readonly valkey: string;
  readonly kafka: string;
}

/** First line a command prints (stdout and stderr: `java -version` writes to stderr). */
function firstLine(command: string): string {
  try {
    return execFileSync('sh', ['-c', `${command} 2>&1`], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0].trim() || 'unknown';
  } catch {
    return 'not found';
  }
}

export function describeMachine(versions: { readonly valkeyBinary?: string; readonly kafka: string }): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    nproc: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    os: `${osType()} ${release()}`,
    node: process.version,
    java: firstLine('java -version'),
    valkey: versions.valkeyBinary ? firstLine(`'${versions.valkeyBinary.replace(/'/g, `'\\''`)}' --version`) : 'unknown',
    kafka: versions.kafka,
  };
}

/** Load averages over 1, 5 and 15 minutes, as `uptime` prints them. */
export function loadAverages(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a, b, c];
}
