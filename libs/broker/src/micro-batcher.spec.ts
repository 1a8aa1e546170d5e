import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
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
});
