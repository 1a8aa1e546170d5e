// Reading a process's CPU time and resident memory from /proc (Linux), for the benchmark and
// the fault suite alike.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux). */
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used, from the text of /proc/<pid>/stat. */
export function parseCpuSeconds(stat: string, ticks = 100): number {
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime (fields 14, 15)
}

/** Resident set size in MiB, from the text of /proc/<pid>/status. */
export function parseRssMiB(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export interface ProcessReading {
  readonly cpuSeconds: number;
  readonly rssMiB: number;
}

/** One reading of a process, or undefined when it is gone. */
export function readProcess(pid: number): ProcessReading | undefined {
  try {
    return {
      cpuSeconds: parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond()),
      rssMiB: parseRssMiB(readFileSync(`/proc/${pid}/status`, 'utf8')),
    };
  } catch {
    return undefined;
  }
}
