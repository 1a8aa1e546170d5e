import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { blackfridayScenario, relayBatchRoute, seededRandom } from '@oleada/scenarios';
import { RelayForwarder } from './relay-forwarder';

interface Entry {
  readonly id: string;
  readonly acceptedAt: number;
  readonly event: unknown;
}

/** A stand-in relay: records every batch request; `answer` decides its reply. */
async function fakeRelay(answer: (entries: Entry[], respond: (status: number, body: unknown) => void) => void) {
  const requests: Array<{ path: string; entries: Entry[] }> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const entries = (JSON.parse(text) as { events: Entry[] }).events;
      requests.push({ path: request.url ?? '', entries });
      answer(entries, (status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const scenario = blackfridayScenario;
const event = scenario.sample(seededRandom(1));
const id = (n: number) => `01930000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const accepted = (entries: Entry[], respond: (status: number, body: unknown) => void) => respond(200, { results: entries.map((e) => ({ id: e.id, status: 202 })) });

describe('RelayForwarder', () => {
  it('sends events that arrive together in one request and gives each its own answer', async () => {
    const relay = await fakeRelay((entries, respond) =>
      respond(200, {
        results: entries.map((e) =>
          e.id === id(2) ? { id: e.id, status: 422, error: 'invalid_event', message: 'precio: too big', field: 'precio' } : e.id === id(3) ? { id: e.id, status: 503, error: 'unavailable', message: 'retry' } : { id: e.id, status: 202 },
        ),
      }),
    );
    const forwarder = new RelayForwarder(relay.url, { connections: 2, timeoutMs: 2000, batchMax: 200, batchConcurrency: 8 });
    try {
      const results = await Promise.all([1, 2, 3, 4].map((n) => forwarder.forward(scenario, event, id(n), 1700000000000 + n)));
      assert.deepEqual(
        results.map((r) => r.status),
        [202, 422, 503, 202],
      );
      assert.deepEqual(results[1].body, { error: 'invalid_event', message: 'precio: too big', field: 'precio' });
      assert.equal(relay.requests.length, 1, 'one request for the four events');
      assert.equal(relay.requests[0].path, relayBatchRoute(scenario));
      assert.deepEqual(relay.requests[0].entries[3], { id: id(4), acceptedAt: 1700000000004, event });
    } finally {
      await forwarder.close();
      await relay.close();
    }
  });

  it('queues events while every request slot is busy and sends them together, at most batchMax per request', async () => {
    const held: Array<() => void> = [];
    const relay = await fakeRelay((entries, respond) => held.push(() => accepted(entries, respond)));
    const forwarder = new RelayForwarder(relay.url, { connections: 2, timeoutMs: 5000, batchConcurrency: 1, batchMax: 3 });
    try {
      const first = forwarder.forward(scenario, event, id(0), 1);
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // The only slot is busy: these wait, then go out 3 + 2.
      const later = [1, 2, 3, 4, 5].map((n) => forwarder.forward(scenario, event, id(n), 1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(relay.requests.length, 1, 'nothing else sent while the slot is busy');
      held.shift()?.();
      assert.equal((await first).status, 202);
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      held.shift()?.();
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      held.shift()?.();
      assert.deepEqual(
        (await Promise.all(later)).map((r) => r.status),
        [202, 202, 202, 202, 202],
      );
      assert.deepEqual(
        relay.requests.map((r) => r.entries.map((e) => e.id)),
        [[id(0)], [id(1), id(2), id(3)], [id(4), id(5)]],
      );
    } finally {
      await forwarder.close();
      await relay.close();
    }
  });

  it('answers 503 for every event of a batch the relay refused or answered unreadably', async () => {
    let mode: 'overloaded' | 'mismatch' = 'overloaded';
    const relay = await fakeRelay((entries, respond) =>
      mode === 'overloaded' ? respond(503, { error: 'overloaded' }) : respond(200, { results: entries.map(() => ({ id: id(999), status: 202 })) }),
    );
    const forwarder = new RelayForwarder(relay.url, { connections: 1, timeoutMs: 2000, batchMax: 200, batchConcurrency: 8 });
    try {
      for (const next of ['overloaded', 'mismatch'] as const) {
        mode = next;
        const results = await Promise.all([1, 2].map((n) => forwarder.forward(scenario, event, id(n), 1)));
        assert.deepEqual(
          results.map((r) => r.status),
          [503, 503],
          next,
        );
        assert.doesNotMatch(JSON.stringify(results[0].body), /127\.0\.0\.1/);
      }
    } finally {
      await forwarder.close();
      await relay.close();
    }
  });

  it('sends a batch again when the relay closed the connection or was shutting down, up to once per pooled connection plus one', async () => {
    let mode: 'drop' | 'closing' | 'always-drop' = 'drop';
    let failFirst = 1;
    let calls = 0;
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        calls++;
        const entries = (JSON.parse(text) as { events: Entry[] }).events;
        if ((mode === 'drop' && calls <= failFirst) || mode === 'always-drop') return request.socket.destroy();
        if (mode === 'closing' && calls <= failFirst) return response.writeHead(503, { connection: 'close', 'content-type': 'application/json' }).end('{"error":"Service Unavailable"}');
        accepted(entries, (status, body) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // two pooled connections: three tries at most
    const forwarder = new RelayForwarder(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 2, timeoutMs: 2000, batchMax: 200, batchConcurrency: 1 });
    try {
      for (const [next, failures] of [['drop', 1], ['closing', 1], ['drop', 2], ['closing', 2]] as const) {
        mode = next;
        failFirst = failures;
        calls = 0;
        const results = await Promise.all([1, 2].map((n) => forwarder.forward(scenario, event, id(n), 1)));
        assert.deepEqual(results.map((r) => r.status), [202, 202], `${next} ×${failures}: answered by try ${failures + 1}`);
        assert.equal(calls, failures + 1, `${next} ×${failures}`);
      }
      mode = 'always-drop';
      calls = 0;
      const results = await Promise.all([3].map((n) => forwarder.forward(scenario, event, id(n), 1)));
      assert.deepEqual(results.map((r) => r.status), [503], 'a relay that keeps dropping it: 503 after the third try');
      assert.equal(calls, 3);
      // an overloaded relay (503 without closing) is not asked again: the client retries later
      const overloaded = await fakeRelay((_entries, respond) => respond(503, { error: 'overloaded' }));
      const other = new RelayForwarder(overloaded.url, { connections: 1, timeoutMs: 2000, batchMax: 200, batchConcurrency: 8 });
      assert.equal((await other.forward(scenario, event, id(4), 1)).status, 503);
      assert.equal(overloaded.requests.length, 1);
      await other.close();
      await overloaded.close();
    } finally {
      await forwarder.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
