import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { parseCpuSeconds, parseRssMiB, pidListeningOn, ProcessSampler, readProcess } from './processes';

describe('process readings from /proc', () => {
  it('reads utime + stime after the command name, even one with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i));
    fields[11] = '250'; // utime (field 14)
    fields[12] = '50'; // stime (field 15)
    const stat = `1234 (node (worker) x) ${fields.join(' ')}`;
    assert.equal(parseCpuSeconds(stat, 100), 3);
  });

  it('reads VmRSS in MiB', () => {
    assert.equal(parseRssMiB('Name:\tnode\nVmRSS:\t  204800 kB\nVmSwap:\t0 kB\n'), 200);
    assert.ok(Number.isNaN(parseRssMiB('Name:\tkthread\n')));
  });

  it('reads this process, and nothing for a pid that does not exist', () => {
    const reading = readProcess(process.pid);
    assert.ok(reading && reading.cpuSeconds > 0 && reading.rssMiB > 10);
    assert.equal(readProcess(2 ** 22 + 7), undefined);
  });

  it('finds the process listening on a port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      assert.equal(pidListeningOn(port), process.pid);
    } finally {
      server.close();
    }
  });

  it('reports CPU per event and peak RSS of the sampled processes', async () => {
    const sampler = new ProcessSampler([{ name: 'me', pid: process.pid }, { name: 'nobody', pid: undefined }], 20);
    sampler.start();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [me, ...rest] = sampler.stop(1000);
    assert.equal(rest.length, 0, 'a process without a pid is left out');
    assert.ok(x > 0);
    assert.equal(me.name, 'me');
    assert.ok(me.cpuPercent > 0 && me.cpuMsPerEvent !== undefined && me.cpuMsPerEvent > 0);
    assert.ok(me.rssMaxMiB >= me.rssMeanMiB && me.rssMeanMiB > 0);
    assert.deepEqual(sampler.stop(1000)[0].rssMaxMiB, me.rssMaxMiB, 'stopping again only reports');
  });
});
