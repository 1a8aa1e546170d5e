import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { until } from '@oleada/shared';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a child started with dyingWithThisProcess', () => {
  it('gets SIGTERM and ends when the process that started it is killed outright (SIGKILL)', async () => {
    // The parent: starts an idle Node child the way the stack starts its apps, prints its pid, waits.
    const parentScript = [
      `const { spawn } = require('node:child_process');`,
      `const { dyingWithThisProcess } = require(${JSON.stringify(join(__dirname, 'process.js'))});`,
      `const [command, args] = dyingWithThisProcess(process.execPath, ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"]);`,
      `const child = spawn(command, args, { stdio: 'ignore' });`,
      `console.log(child.pid);`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const childPid = Number(line.toString().trim());
    assert.ok(Number.isInteger(childPid) && childPid > 0, `the parent printed its child's pid: ${line.toString()}`);
    try {
      assert.ok(alive(childPid), 'the child runs while its parent does');
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      await until(() => !alive(childPid), `child ${childPid} ending after its parent was killed`, { timeoutMs: 30_000 });
    } finally {
      if (alive(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});
