import { describe, it } from 'node:test';
import { assertHelp, assertUsageError, runCli } from '@oleada/local';

const CLI = 'tools/dashboard/dist/cli.js';

describe('the dashboard command line explains itself', () => {
  it('--help lists its commands, options and defaults', () => {
    assertHelp(runCli(CLI, ['serve', '--help']), ['--valkey-url', '--port', '--scenario', '--out', '--variant'], ['18300']);
  });

  it('refuses a bad line in one line with exit 64 before serving or drawing anything', () => {
    assertUsageError(runCli(CLI, ['serve', '--port', 'abc']), '--port');
    assertUsageError(runCli(CLI, ['serve', '--colour']), '--colour');
    assertUsageError(runCli(CLI, ['png', '--scenario', 'weather']), 'png needs --scenario and --out');
    assertUsageError(runCli(CLI, ['draw']), 'draw');
  });
});
