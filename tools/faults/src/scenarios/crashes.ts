import assert from 'node:assert/strict';
import { it } from 'node:test';
import { METRIC_NAMES } from '@oleada/shared';
import { scrapeMetric } from '@oleada/local';
import { sleep, type FaultSuite, type FaultTarget } from '../harness';

/** Records the consumer skipped as already applied, summed over its restarts. */
class DuplicateCounter {
  private total = 0;
  constructor(private readonly target: FaultTarget) {}
  /** Reads the running consumer's counter before it is killed (the counter dies with it). */
  async collect(): Promise<void> {
    this.total += await scrapeMetric(this.target.stack.consumer.spec.port, METRIC_NAMES.consumerEvents, { outcome: 'duplicate' }).catch(() => 0);
  }
  get value(): number {
    return this.total;
  }
}

/**
 * kill -9 of the target's consumer three times while events flow, restarted each time: what it had
 * received but not committed or acked is delivered again, and the dedup in Valkey skips what it had
 * already applied. Ends with the accounting and the number of records skipped.
 */
export async function consumerKills(target: FaultTarget, id: string, fault: string, events: number): Promise<void> {
  const baseline = await target.total();
  const duplicates = new DuplicateCounter(target);
  const consumer = target.stack.consumer;
  const sending = target.load(id, events, 250);
  const downtimes: number[] = [];
  for (let kill = 0; kill < 3; kill++) {
    await sleep(4000);
    await duplicates.collect();
    const t0 = performance.now();
    await consumer.stop('SIGKILL');
    assert.equal(consumer.running, false);
    await sleep(1000);
    consumer.start();
    await consumer.waitReady();
    downtimes.push(performance.now() - t0);
  }
  const report = await sending;
  const row = await target.account(id, fault, report, baseline, [`consumer back (ready) in ${downtimes.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`]);
  await duplicates.collect();
  target.results.fault({ ...row, notes: `${row.notes}; ${duplicates.value} redelivered records skipped by dedup` });
}

/** kill -9 of the consumer, a writer and Valkey while events flow; each ends with accepted == counted. */
export function crashTests(suite: FaultSuite): void {
  it('kill -9 of the consumer three times mid-stream: every accepted event counted once', () =>
    consumerKills(suite, '03-consumer-kill', 'consumer killed with SIGKILL 3× mid-stream, restarted each time', 4500));

  it('kill -9 of one writer under load: the relay keeps serving through the others', async () => {
    const baseline = await suite.total();
    const writer = suite.stack.writers[0];
    const sending = suite.load('writer-kill', 3000, 250);
    await sleep(4000);
    await writer.stop('SIGKILL');
    const downFrom = performance.now();
    await sleep(5000);
    const downTo = performance.now();
    writer.start();
    await writer.waitReady();
    const report = await sending;
    const whileDown = report.attempts.filter((a) => a.sentAt >= downFrom && a.answeredAt <= downTo);
    const acceptedWhileDown = whileDown.filter((a) => a.status === 202).length;
    await suite.account('04-writer-kill', `${writer.spec.name} killed with SIGKILL under load for 5 s, then restarted`, report, baseline, [
      `${acceptedWhileDown} of ${whileDown.length} requests sent while it was down answered 202`,
    ]);
    assert.ok(acceptedWhileDown > 0, 'events were accepted through the other writers while one was down');
  });

  it('kill -9 of Valkey (AOF, fsync always) mid-stream: no counter lost, none doubled', async () => {
    const baseline = await suite.total();
    const duplicates = new DuplicateCounter(suite);
    const sending = suite.load('valkey-kill', 3000, 250);
    await sleep(4000);
    await suite.valkey.kill('SIGKILL');
    const t0 = performance.now();
    await sleep(2000);
    await suite.valkey.start();
    const back = performance.now() - t0;
    const report = await sending;
    const row = await suite.account('05-valkey-kill', 'Valkey killed with SIGKILL mid-stream (AOF, appendfsync always), restarted on the same data', report, baseline, [
      `Valkey down ${(back / 1000).toFixed(1)} s`,
    ]);
    await duplicates.collect();
    suite.results.fault({ ...row, notes: `${row.notes}; ${duplicates.value} re-applied records skipped by dedup` });
  });
}
