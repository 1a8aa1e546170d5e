import assert from 'node:assert/strict';
import { it } from 'node:test';
import { percentile } from '@oleada/local';
import { canonicalRoute } from '@oleada/scenarios';
import { runLoad } from '../load-client';
import { sale, scenario, sleep, type FaultSuite } from '../harness';

const DOWN_MS = 10_000;

/** The suite's own Kafka broker stopped for 10 s under load. */
export function brokerOutageTests(suite: FaultSuite): void {
  it('Kafka stopped for 10 s under load: 503 and never 2xx while down, then recovers by itself', async () => {
    const baseline = await suite.total();
    const sending = runLoad({
      baseUrl: suite.stack.gatewayUrl,
      path: canonicalRoute(scenario),
      events: 5000,
      eventsPerSecond: 200,
      body: sale,
      key: (i) => suite.key('kafka-down', i),
      maxOutstanding: 32,
    });
    await sleep(4000);
    assert.equal(suite.kafka.reused, false, "the suite's own broker, never one it found running");
    await suite.kafka.kill('SIGTERM'); // resolves once the broker process has exited
    const downFrom = performance.now();
    await sleep(DOWN_MS);
    const downTo = performance.now();
    await suite.kafka.start(); // resolves once it answers again
    const upAt = performance.now();
    const report = await sending;

    // Requests sent after the broker was fully down and answered before it was started again.
    const whileDown = report.attempts.filter((a) => a.sentAt >= downFrom && a.answeredAt <= downTo);
    const twoXx = whileDown.filter((a) => a.status >= 200 && a.status < 300).length;
    const unavailable = whileDown.filter((a) => a.status === 503).length;
    const answerMs = whileDown.map((a) => a.answeredAt - a.sentAt);
    const firstAccepted = report.attempts.filter((a) => a.status === 202 && a.answeredAt > upAt).reduce((t, a) => Math.min(t, a.answeredAt), Infinity);
    const writersReady = await Promise.all(
      suite.stack.writers.map(async (w) => (await fetch(`http://127.0.0.1:${w.spec.port}/health/ready`)).status === 200),
    );
    await suite.account('06-kafka-down', `Kafka broker stopped (SIGTERM) for ${DOWN_MS / 1000} s under load, then started again`, report, baseline, [
      `while down: ${whileDown.length} requests, ${unavailable}× 503 (p50/p99 ${percentile(answerMs, 50).toFixed(0)}/${percentile(answerMs, 99).toFixed(0)} ms), ${twoXx}× 2xx`,
      `first 202 ${((firstAccepted - upAt) / 1000).toFixed(1)} s after the broker answered again`,
    ]);
    assert.equal(twoXx, 0, 'no 2xx while the broker was down');
    assert.ok(unavailable > 0, 'requests were answered 503 while the broker was down');
    assert.equal(whileDown.length, unavailable, `every answer while down was a 503: ${JSON.stringify(whileDown.filter((a) => a.status !== 503).slice(0, 5))}`);
    assert.ok(Number.isFinite(firstAccepted), 'events were accepted again after the broker came back');
    assert.deepEqual(writersReady, [true, true, true], 'every writer reconnected and is ready again');
  });
}
