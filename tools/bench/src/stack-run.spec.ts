import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheus } from './measure/prometheus';
import { eventLoopBetween } from './stack-run';

const scrapeOf = (text: string) => parsePrometheus(text);

describe('eventLoopBetween', () => {
  it("reports each app's delay beyond prom-client's 10 ms sampling period, and the GC time the run added", () => {
    const before = new Map([['gateway', scrapeOf('nodejs_gc_duration_seconds_sum{kind="minor"} 1.5\nnodejs_gc_duration_seconds_sum{kind="major"} 0.5\n')]]);
    const after = new Map([
      [
        'gateway',
        scrapeOf(
          'nodejs_eventloop_lag_p99_seconds 0.0345\nnodejs_eventloop_lag_max_seconds 0.062\n' +
            'nodejs_gc_duration_seconds_sum{kind="minor"} 2.25\nnodejs_gc_duration_seconds_sum{kind="major"} 0.75\n',
        ),
      ],
      ['consumer', scrapeOf('nodejs_eventloop_lag_p99_seconds 0.0101\nnodejs_eventloop_lag_max_seconds 0.0095\n')],
    ]);
    const usage = eventLoopBetween(before, after);
    assert.ok(Math.abs(usage.gateway.delayP99Ms - 24.5) < 1e-9, `p99 ${usage.gateway.delayP99Ms}`);
    assert.ok(Math.abs(usage.gateway.delayMaxMs - 52) < 1e-9);
    assert.ok(Math.abs(usage.gateway.gcMs - 1000) < 1e-9, 'GC summed over kinds, minus what came before the run');
    assert.ok(Math.abs(usage.consumer.delayP99Ms - 0.1) < 1e-9, 'an idle loop shows about no delay');
    assert.equal(usage.consumer.delayMaxMs, 0, 'never below zero');
  });
});
