import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSmaps, readResidentMemory } from './memory';

const SMAPS = `00400000-0073d000 r--p 00000000 08:01 1234                       /opt/node/bin/node
Size:               3316 kB
Rss:                3072 kB
0073d000-03140000 r-xp 0033d000 08:01 1234                       /opt/node/bin/node
Rss:               34816 kB
7f0000000000-7f0000040000 rw-p 00000000 00:00 0
Rss:                 256 kB
7f1000000000-7f1000100000 rw-p 00000000 00:00 0                  [heap]
Rss:                1024 kB
7f2000000000-7f2000010000 r-xp 00000000 08:01 99                 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                  64 kB
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                  [stack]
Rss:                 128 kB
`;

describe('resident memory from /proc/<pid>/smaps', () => {
  it('splits Rss into the executable, other files and anonymous pages', () => {
    const m = parseSmaps(SMAPS, '/opt/node/bin/node');
    assert.deepEqual(m, { rssMiB: (3072 + 34816 + 256 + 1024 + 64 + 128) / 1024, executableMiB: 37, otherFilesMiB: 64 / 1024, anonymousMiB: (256 + 1024 + 128) / 1024 });
  });

  it('counts another binary of the same name as another file, not the executable', () => {
    assert.equal(parseSmaps(SMAPS, '/usr/bin/node').executableMiB, 0);
  });

  it("reads this process: its parts add up to the kernel's own VmRSS, the executable among them", () => {
    const m = readResidentMemory(process.pid);
    assert.ok(m, 'no reading of this process');
    const vmRss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
    assert.ok(Math.abs(m.rssMiB - vmRss) < 8, `smaps says ${m.rssMiB} MiB, status says ${vmRss} MiB`);
    assert.ok(m.executableMiB > 1, `executable ${m.executableMiB} MiB`);
    assert.ok(m.anonymousMiB > 1, `anonymous ${m.anonymousMiB} MiB`);
    assert.equal(readResidentMemory(2 ** 22 + 7), undefined);
  });
});
