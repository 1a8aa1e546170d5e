import { describe, it } from 'node:test';
import { assertHelp, assertUsageError, runCli } from '@oleada/local';

const CLI = 'tools/bench/dist/cli/bench.js';

describe('the bench command line explains itself', () => {
  it('--help lists its options and defaults', () => {
    assertHelp(runCli(CLI, ['--help']), ['--quick', '--rates', '--connections', '--sustained-rate', '--only', '--port-offset', '--ab', '--ab-planted', '--ab-rounds', '--ab-rate', '--ab-tracing', '--ab-saturate', '--trace-ratio', '--jaeger-port'], ['64', '.cache/reports/bench', '3000']);
  });

  it('refuses a bad line in one line with exit 64 before measuring anything', () => {
    assertUsageError(runCli(CLI, ['--connections', 'abc']), '--connections');
    assertUsageError(runCli(CLI, ['--only', 'sweep,nope']), '--only');
    assertUsageError(runCli(CLI, ['--rates', '100,x']), '--rates');
    assertUsageError(runCli(CLI, ['--fast']), '--fast');
    assertUsageError(runCli(CLI, ['--ab', 'no-such-ref-of-oleada']), '--ab');
    assertUsageError(runCli(CLI, ['--ab-planted', '0']), '--ab-planted');
    assertUsageError(runCli(CLI, ['--ab', 'HEAD', '--ab-rounds', '1']), '--ab-rounds');
    assertUsageError(runCli(CLI, ['--only', 'ab']), '--only ab');
    assertUsageError(runCli(CLI, ['--ab-tracing', '2']), '--ab-tracing');
    assertUsageError(runCli(CLI, ['--ab-tracing', 'some']), '--ab-tracing');
    assertUsageError(runCli(CLI, ['--ab-tracing', '0.01', '--ab-saturate', '--ab-rate', '800']), '--ab-saturate and --ab-rate');
    assertUsageError(runCli(CLI, ['--only', 'traces', '--trace-ratio', '0']), '--trace-ratio');
    assertUsageError(runCli(CLI, ['--jaeger-port', '70000']), '--jaeger-port');
  });
});
