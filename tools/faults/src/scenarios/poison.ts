import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEAD_LETTER_METRIC } from '@oleada/consumer';
import { blackfridayPoisonRecords, deadLetterReason, publishRecords, readTopic, waitFor } from '@oleada/local';
import { readCounter } from '@oleada/valkey-schema';
import { scenario, sleep, type FaultSuite } from '../harness';

/** Records no writer would produce, written straight into the live topic mid-stream. */
export function poisonTests(suite: FaultSuite): void {
  it('poison records written straight into the topic mid-stream: dead-lettered with a reason, counted, and the events after them still counted', async () => {
    const baseline = await suite.total();
    const deadKey = suite.keys.metric(DEAD_LETTER_METRIC);
    const deadBefore = await readCounter(suite.admin, deadKey);
    const sending = suite.load('poison', 1500, 250);
    await sleep(2000);
    const tag = `poison-${suite.run}`;
    const poison = blackfridayPoisonRecords(tag);
    const [topic] = scenario.topics;
    await publishRecords(suite.kafkaClient, topic, poison);
    const report = await sending;
    await waitFor(async () => (await readCounter(suite.admin, deadKey)) - deadBefore >= poison.length, 60_000, 'the poison records to be counted');
    const dead = await readTopic(suite.kafkaClient, scenario.deadLetterTopic, {
      keep: (m) => m.key?.toString().startsWith(tag) ?? false,
      enough: (kept) => kept.length >= poison.length,
    });
    const deadCounted = (await readCounter(suite.admin, deadKey)) - deadBefore;
    const reasons = poison.map((p) => {
      const letter = dead.find((m) => m.key?.toString() === p.key);
      return letter ? deadLetterReason(letter) : '(missing)';
    });
    await suite.account('02-poison', `${poison.length} poison records written straight into ${topic} mid-stream`, report, baseline, [
      `${dead.length}/${poison.length} in ${scenario.deadLetterTopic}, dead_letters counter +${deadCounted}; reasons: ${reasons.join(' / ')}`,
    ]);
    assert.equal(deadCounted, poison.length, 'each poison record counted once as a dead letter');
    assert.equal(dead.length, poison.length, 'each poison record is in the dead-letter topic once');
    poison.forEach((p, i) => assert.match(reasons[i], p.reason, p.key));
  });
}
