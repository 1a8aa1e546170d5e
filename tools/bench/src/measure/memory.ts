import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: the pages of its own executable
 * (file-backed, shared with every process that runs the same binary, yet counted in each one's
 * RSS), other files (shared libraries, locale data) and anonymous memory (V8's heap, malloc's
 * arenas, thread stacks, buffers).
 */
export interface ResidentMemory {
  readonly rssMiB: number;
  readonly executableMiB: number;
  readonly otherFilesMiB: number;
  readonly anonymousMiB: number;
}

const MAPPING = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/;
const RSS = /^Rss:\s+(\d+) kB/;

/** Splits the Rss of every mapping in `smaps` by what backs it; `executable` is the path of the process's binary. */
export function parseSmaps(smaps: string, executable: string): ResidentMemory {
  let kind: 'executable' | 'file' | 'anonymous' = 'anonymous';
  const kB = { executable: 0, file: 0, anonymous: 0 };
  for (const line of smaps.split('\n')) {
    const mapping = MAPPING.exec(line);
    if (mapping) {
      const [, inode, path] = mapping;
      kind = path === executable ? 'executable' : inode !== '0' ? 'file' : 'anonymous';
      continue;
    }
    const rss = RSS.exec(line);
    if (rss) kB[kind] += Number(rss[1]);
  }
  const mib = (value: number) => value / 1024;
  return { rssMiB: mib(kB.executable + kB.file + kB.anonymous), executableMiB: mib(kB.executable), otherFilesMiB: mib(kB.file), anonymousMiB: mib(kB.anonymous) };
}

/** The resident memory of process `pid` now (undefined once it is gone). */
export function readResidentMemory(pid: number): ResidentMemory | undefined {
  try {
    return parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8'), readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}
