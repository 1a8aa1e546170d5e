import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher } from './micro-batcher';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A send whose batches complete only when the test says so. */
function controlledSend() {
  const sent: number[][] = [];
  const completions: Array<() => void> = [];
  const send = (items: number[]) => {
    sent.push(items);
    return new Promise<void>((resolve) => completions.push(resolve));
  };
  return { sent, send, complete: (i: number) => completions[i]() };
}

describe('MicroBatcher', () => {
  it("settles each caller with its own entry of the batch's results", async () => {
    const batcher = new MicroBatcher<number, string>(async (items) => items.map((n) => `#${n}`), { lingerMs: 0, maxItems: 10 });
    assert.deepEqual(await Promise.all([1, 2, 3].map((n) => batcher.add(n))), ['#1', '#2', '#3']);
  });

  it('sends a full batch at once and the rest after the linger', async () => {
    const sent: number[][] = [];
    const batcher = new MicroBatcher<number>(async (items) => void sent.push(items), { lingerMs: 20, maxItems: 3 });
    const all = [1, 2, 3, 4, 5].map((n) => batcher.add(n));
    assert.deepEqual(sent, [[1, 2, 3]]);
    await Promise.all(all);
    assert.deepEqual(sent, [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('rejects every caller of a failed batch, and only those', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<string>(
      async () => {
        calls++;
        if (calls === 1) throw new Error('broker down');
      },
      { lingerMs: 1, maxItems: 2 },
    );
    const first = [batcher.add('a'), batcher.add('b')];
    const second = batcher.add('c');
    const results = await Promise.allSettled([...first, second]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
  });

  it('flush sends what waits and waits for sends in flight', async () => {
    let done = 0;
    const batcher = new MicroBatcher<number>(
      async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        done += items.length;
      },
      { lingerMs: 10_000, maxItems: 100 },
    );
    void batcher.add(1);
    void batcher.add(2);
    await batcher.flush();
    assert.equal(done, 2);
    assert.equal(batcher.size, 0);
  });

  it('with lingerMs 0, sends what was added in one event-loop turn together, at the end of that turn', async () => {
    const sent: number[][] = [];
    const batcher = new MicroBatcher<number>(async (items) => void sent.push(items), { lingerMs: 0, maxItems: 100 });
    const first = [batcher.add(1), batcher.add(2)];
    await Promise.resolve();
    assert.deepEqual(sent, [], 'not before the turn ends');
    await nextTurn();
    const second = batcher.add(3);
    await Promise.all([...first, second]);
    assert.deepEqual(sent, [[1, 2], [3]]);
  });

  it('with maxInFlight, holds items while the slots are busy and sends them together, up to maxItems, when one frees', async () => {
    const { sent, send, complete } = controlledSend();
    const batcher = new MicroBatcher<number>(send, { lingerMs: 0, maxItems: 2, maxInFlight: 1 });
    const added = [batcher.add(1)];
    await nextTurn();
    for (const n of [2, 3, 4]) {
      added.push(batcher.add(n));
      await nextTurn();
    }
    assert.deepEqual(sent, [[1]]);
    assert.equal(batcher.size, 3);
    complete(0);
    await added[0];
    await nextTurn();
    assert.deepEqual(sent, [[1], [2, 3]], 'the next batch left when the slot freed, not after another linger');
    complete(1);
    await nextTurn();
    assert.deepEqual(sent, [[1], [2, 3], [4]]);
    complete(2);
    await Promise.all(added);
  });

  it('flush also sends what arrives while it waits for a send in flight, without waiting for the linger', async () => {
    const { sent, send, complete } = controlledSend();
    const batcher = new MicroBatcher<number>(send, { lingerMs: 10_000, maxItems: 10, maxInFlight: 1 });
    void batcher.add(1);
    const flushed = batcher.flush();
    void batcher.add(2);
    complete(0);
    await nextTurn();
    complete(1);
    await flushed;
    assert.deepEqual(sent, [[1], [2]]);
    assert.equal(batcher.size, 0);
  });

  it('with a weight, bounds the summed weight of a batch; an item heavier than maxItems goes alone', async () => {
    const sent: string[][] = [];
    const batcher = new MicroBatcher<string>(async (items) => void sent.push(items), { lingerMs: 0, maxItems: 5, weight: (item) => item.length });
    await Promise.all(['aa', 'bb', 'cc', 'dddddddd', 'e'].map((item) => batcher.add(item)));
    assert.deepEqual(sent, [['aa', 'bb'], ['cc'], ['dddddddd'], ['e']]);
  });
});
