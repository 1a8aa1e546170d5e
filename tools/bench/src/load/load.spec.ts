import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { pacedLoad } from './paced';
import { saturate, saturateFor } from './saturate';

/** A server that answers 202 to `{"n": even}` and 422 to odd, or holds answers while `hold` is set. */
function testServer() {
  const state = { received: 0, held: [] as Array<() => void>, hold: false, onReceived: (_n: number) => undefined as void };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      state.received++;
      const answer = () => response.writeHead((JSON.parse(body) as { n: number }).n % 2 === 0 ? 202 : 422).end('{}');
      if (state.hold) state.held.push(answer);
      else answer();
      state.onReceived(state.received);
    });
  });
  return { server, state };
}

describe('load generators', () => {
  let server: Server;
  let state: ReturnType<typeof testServer>['state'];
  let url: string;

  before(async () => {
    ({ server, state } = testServer());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  it('paced: offers rate × seconds requests and waits for every answer', async () => {
    state.received = 0;
    const result = await pacedLoad({ baseUrl: url, path: '/e', rate: 400, seconds: 0.5, connections: 8, maxOutstanding: 1000, body: (n) => JSON.stringify({ n }) });
    assert.deepEqual(result.statuses, { 202: 100, 422: 100 });
    assert.equal(state.received, 200);
    assert.equal(result.accepted, 100);
    assert.equal(result.sent, 200);
    assert.equal(result.dropped, 0);
    assert.equal(result.latency.count, 100, 'latency is of accepted requests');
  });

  it('paced: drops what is due while too many requests are outstanding, instead of queueing it', async () => {
    state.received = 0;
    state.hold = true;
    state.onReceived = (n) => {
      if (n === 5) {
        state.hold = false;
        for (const answer of state.held.splice(0)) answer();
      }
    };
    try {
      // Every request is due at once, so the generator meets the limit in its first tick.
      const result = await pacedLoad({ baseUrl: url, path: '/e', rate: 1e9, seconds: 50 / 1e9, connections: 5, maxOutstanding: 5, body: (n) => JSON.stringify({ n }) });
      assert.equal(result.sent, 5);
      assert.equal(result.dropped, 45);
      assert.equal(state.received, 5);
      assert.equal(result.accepted, 3);
    } finally {
      state.hold = false;
      state.onReceived = () => undefined;
    }
  });

  it('saturate: with an amount, every request sent is answered and tallied', async () => {
    state.received = 0;
    let n = 0;
    const result = await saturate({ baseUrl: url, path: '/e', connections: 4, amount: 300, body: () => JSON.stringify({ n: n++ }) });
    assert.equal(state.received, 300);
    assert.equal(result.sent, 300);
    assert.equal((result.statuses['202'] ?? 0) + (result.statuses['422'] ?? 0), 300);
    assert.equal(result.accepted, result.statuses['202']);
    assert.equal(result.latency.count, result.accepted);
  });

  it('saturate: a round with an amount ends with its last answer, not on a later sample tick', async () => {
    const started = performance.now();
    for (let round = 0; round < 4; round++) {
      const result = await saturate({ baseUrl: url, path: '/e', connections: 4, amount: 40, body: () => '{}' });
      assert.equal(result.sent, 40);
    }
    const seconds = (performance.now() - started) / 1000;
    // Four rounds of 40 answers take milliseconds; waiting for a 1 s tick each took 4 s.
    assert.ok(seconds < 2, `four rounds of 40 requests took ${seconds.toFixed(2)} s: a round waited for the generator's sample tick`);
  });

  it('saturate for a time: rounds of requests, every one of them answered and tallied', async () => {
    state.received = 0;
    let n = 0;
    const result = await saturateFor({ baseUrl: url, path: '/e', connections: 4, seconds: 0.5, roundSeconds: 0.2, body: () => JSON.stringify({ n: n++ }) });
    assert.ok(result.sent > 0);
    assert.equal(state.received, result.sent, 'no request is left without an answer');
    assert.equal(result.accepted, result.statuses['202']);
  });
});
