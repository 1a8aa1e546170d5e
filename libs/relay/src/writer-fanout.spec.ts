import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { blackfridayScenario } from '@oleada/scenarios';
import type { WriterCaller } from './writer-caller';
import { WriterFanout } from './writer-fanout';

function group(answer: () => Promise<unknown>, calls: string[] = []): WriterCaller {
  return { call: async (_s: unknown, _m: unknown, id: string) => (calls.push(id), answer()), close: () => undefined } as unknown as WriterCaller;
}
const fail = (code: status) => () => Promise.reject(Object.assign(new Error(status[code]), { code }));

describe('WriterFanout', () => {
  const call = (fanout: WriterFanout) => fanout.call(blackfridayScenario, {}, 'id-1', 0);

  it('sends every event to one writer of each group and succeeds only when all acknowledged', async () => {
    const kafka: string[] = [];
    const rabbit: string[] = [];
    const fanout = new WriterFanout([group(async () => ({ estado: 'accepted' }), kafka), group(async () => ({ estado: 'accepted' }), rabbit)]);
    assert.deepEqual(await call(fanout), { estado: 'accepted' });
    assert.deepEqual([kafka, rabbit], [['id-1'], ['id-1']]);
  });

  it('fails when any group failed, preferring an error that blames the event', async () => {
    await assert.rejects(call(new WriterFanout([group(async () => 'ok'), group(fail(status.UNAVAILABLE))])), { code: status.UNAVAILABLE });
    await assert.rejects(call(new WriterFanout([group(fail(status.UNAVAILABLE)), group(fail(status.INVALID_ARGUMENT))])), { code: status.INVALID_ARGUMENT });
  });

  it('accepts an event of a batch only when every group acknowledged it', async () => {
    const events = ['a', 'b', 'c'].map((eventId) => ({ eventId, acceptedAt: 0, message: {} }));
    const batchGroup = (codes: Record<string, status>) =>
      ({ callBatch: async (_s: unknown, list: typeof events) => list.map((e) => ({ code: codes[e.eventId] ?? status.OK, detail: codes[e.eventId] ? status[codes[e.eventId]] : '' })), close: () => undefined }) as unknown as WriterCaller;
    const fanout = new WriterFanout([batchGroup({ b: status.UNAVAILABLE, c: status.UNAVAILABLE }), batchGroup({ c: status.INVALID_ARGUMENT })]);
    const outcomes = await fanout.callBatch(blackfridayScenario, events);
    assert.deepEqual(
      outcomes.map((o) => o.code),
      [status.OK, status.UNAVAILABLE, status.INVALID_ARGUMENT],
    );
  });
});
