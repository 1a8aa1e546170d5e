import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * A real process using closeOnSignals: an app whose close takes a moment (its drain), then an
 * afterClose step; the order it prints them in, after SIGTERM, and its exit status.
 */
const CHILD = `
const { closeOnSignals } = require(${JSON.stringify(join(__dirname, 'shutdown.js'))});
const logger = { info() {}, warn() {}, error() {} };
const app = { close: () => new Promise((resolve) => setTimeout(() => { process.stdout.write('closed\\n'); resolve(); }, 50)) };
closeOnSignals(app, logger, 10000, () => process.stdout.write('draining\\n'), async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.stdout.write('after close\\n');
  if (process.env.FAIL_AFTER_CLOSE) throw new Error('export failed');
});
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

async function runToSignal(env: Record<string, string> = {}): Promise<{ output: string; code: number | null }> {
  const child = spawn(process.execPath, ['-e', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output === 'ready\n') child.kill('SIGTERM');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { output, code };
}

describe('closeOnSignals', () => {
  it('on SIGTERM: not-ready, the app closes (drains), then afterClose runs, then a clean exit', async () => {
    assert.deepEqual(await runToSignal(), { output: 'ready\ndraining\nclosed\nafter close\n', code: 0 });
  });

  it('a failing afterClose (a span export) is no unclean shutdown', async () => {
    assert.deepEqual(await runToSignal({ FAIL_AFTER_CLOSE: '1' }), { output: 'ready\ndraining\nclosed\nafter close\n', code: 0 });
  });
});
