import assert from 'node:assert/strict';
import { it } from 'node:test';
import { percentile, type AppProcess, type ServerHandle } from '@oleada/local';
import { sleep, type FaultSuite, type FaultTarget } from '../harness';

const DOWN_MS = 10_000;

/** Runs `during` with the app's process frozen (SIGSTOP) and lets it go (SIGCONT) whatever happens. */
async function whileFrozen<T>(app: AppProcess, during: () => Promise<T>): Promise<T> {
  const pid = app.pid as number;
  process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * Takes the target's broker down with `signal` for 10 s under load and starts it again on the same
 * data. A 202 must mean the broker made the event durable, so every request sent after the broker
 * was fully down and answered before it was started again must be a 503, never a 2xx; the writers
 * and the consumer must reconnect by themselves, and the accounting must come out exact.
 */
export async function brokerOutage(target: FaultTarget, id: string, fault: string, broker: ServerHandle, signal: NodeJS.Signals): Promise<void> {
  const baseline = await target.total();
  const sending = target.load(id, 5000, 200);
  await sleep(2000);
  assert.equal(broker.reused, false, "the suite's own broker, never one it found running");
  // The consumer is frozen for the last 2 s before the kill, so the broker goes down holding
  // accepted events nobody has consumed yet, which its restart must keep; it is let go at once,
  // to find the broker gone.
  const { countedAtKill, killAt } = await whileFrozen(target.stack.consumer, async () => {
    await sleep(2000);
    const counted = (await target.total()) - baseline;
    const at = performance.now();
    await broker.kill(signal); // resolves once the broker process has exited
    return { countedAtKill: counted, killAt: at };
  });
  const downFrom = performance.now();
  await sleep(DOWN_MS);
  const downTo = performance.now();
  await broker.start(); // resolves once it answers again
  const upAt = performance.now();
  const report = await sending;
  const backlog = report.attempts.filter((a) => a.status === 202 && a.answeredAt <= killAt).length - countedAtKill;

  // Requests sent after the broker was fully down and answered before it was started again.
  const whileDown = report.attempts.filter((a) => a.sentAt >= downFrom && a.answeredAt <= downTo);
  const twoXx = whileDown.filter((a) => a.status >= 200 && a.status < 300).length;
  const unavailable = whileDown.filter((a) => a.status === 503).length;
  const answerMs = whileDown.map((a) => a.answeredAt - a.sentAt);
  const firstAccepted = report.attempts.filter((a) => a.status === 202 && a.answeredAt > upAt).reduce((t, a) => Math.min(t, a.answeredAt), Infinity);
  const writers = target.stack.writers;
  const writersReady = await Promise.all(writers.map(async (w) => (await fetch(`http://127.0.0.1:${w.spec.port}/health/ready`)).status === 200));
  await target.account(id, `${fault} (${signal}) for ${DOWN_MS / 1000} s under load, then started again`, report, baseline, [
    `while down: ${whileDown.length} requests, ${unavailable}× 503 (p50/p99 ${percentile(answerMs, 50).toFixed(0)}/${percentile(answerMs, 99).toFixed(0)} ms), ${twoXx}× 2xx`,
    `it went down holding ${backlog} accepted events not yet counted`,
    `answering ${((upAt - downTo) / 1000).toFixed(1)} s after it was started again, first 202 ${((firstAccepted - upAt) / 1000).toFixed(1)} s later`,
  ]);
  assert.equal(twoXx, 0, 'no 2xx while the broker was down');
  assert.ok(unavailable > 0, 'requests were answered 503 while the broker was down');
  assert.equal(whileDown.length, unavailable, `every answer while down was a 503: ${JSON.stringify(whileDown.filter((a) => a.status !== 503).slice(0, 5))}`);
  assert.ok(Number.isFinite(firstAccepted), 'events were accepted again after the broker came back');
  assert.deepEqual(writersReady, writers.map(() => true), 'every writer reconnected and is ready again');
}

/** The suite's own Kafka broker stopped for 10 s under load. */
export function brokerOutageTests(suite: FaultSuite): void {
  it('Kafka stopped for 10 s under load: 503 and never 2xx while down, then recovers by itself', () =>
    brokerOutage(suite, '06-kafka-down', 'Kafka broker stopped', suite.kafka, 'SIGTERM'));
}
