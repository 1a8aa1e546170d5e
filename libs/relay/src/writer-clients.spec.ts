import assert from 'node:assert/strict';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { writerBatch } from '@oleada/contracts';
import { blackfridayScenario, seededRandom } from '@oleada/scenarios';
import { EVENT_ID_HEADER } from '@oleada/shared';
import { WriterClients } from './writer-clients';

type Decide = (eventId: string) => status;

/** A writer's EventBatchService that answers each event with `decide` and records what it saw. */
async function fakeWriter(decide: () => Decide | 'refuse-call') {
  const seen: string[][] = [];
  const server = new Server();
  server.addService(writerBatch.EventBatchServiceService, {
    writeBatch: (call: ServerUnaryCall<writerBatch.WriteBatchRequest, writerBatch.WriteBatchResponse>, callback: sendUnaryData<writerBatch.WriteBatchResponse>) => {
      seen.push(call.request.events.map((e) => e.eventId));
      const rule = decide();
      if (rule === 'refuse-call') return callback({ code: status.UNAVAILABLE, details: 'writer is shutting down' });
      // The payload must be the scenario's own message, decodable as such.
      const method = blackfridayScenario.grpc.service[blackfridayScenario.grpc.method];
      for (const event of call.request.events) assert.ok(method.requestDeserialize(event.payload));
      callback(null, { outcomes: call.request.events.map((e) => ({ eventId: e.eventId, code: rule(e.eventId), detail: rule(e.eventId) === status.OK ? '' : 'no' })) });
    },
  });
  // The scenario's own unary method too (the relay's path for a single event): always OK.
  server.addService(blackfridayScenario.grpc.service, {
    [blackfridayScenario.grpc.method]: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const [eventId] = call.metadata.get(EVENT_ID_HEADER);
      seen.push([String(eventId)]);
      callback(null, blackfridayScenario.acceptedResponse(String(eventId)));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { target: `127.0.0.1:${port}`, seen, stop: () => server.forceShutdown() };
}

/** `count` valid sales with ids `<idPrefix><i>`, drawn from `seed`. */
function sampleEvents(seed: number, count: number, idPrefix: string) {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${idPrefix}${i}`,
    acceptedAt: 1700000000000 + i,
    message: blackfridayScenario.toMessage(blackfridayScenario.body.parse(blackfridayScenario.sample(random))),
  }));
}

describe('WriterClients.callBatch', () => {
  const events = sampleEvents(3, 5, '01930000-0000-7000-8000-00000000000');
  let a: Awaited<ReturnType<typeof fakeWriter>>;
  let b: Awaited<ReturnType<typeof fakeWriter>>;
  let ruleA: Decide | 'refuse-call';
  let ruleB: Decide | 'refuse-call';
  let clients: WriterClients;

  before(async () => {
    a = await fakeWriter(() => ruleA);
    b = await fakeWriter(() => ruleB);
    clients = new WriterClients([a.target, b.target], 3000);
  });
  after(() => {
    clients.close();
    a.stop();
    b.stop();
  });
  const reset = () => {
    a.seen.length = 0;
    b.seen.length = 0;
  };

  it('retries only the events one writer could not make durable, on the other writer', async () => {
    reset();
    // Whichever writer gets the call first refuses event 1 and 3; the other takes everything.
    let firstWriter: 'a' | 'b' | undefined;
    const flaky = (who: 'a' | 'b'): Decide => (id) => {
      firstWriter ??= who;
      return firstWriter === who && (id.endsWith('1') || id.endsWith('3')) ? status.UNAVAILABLE : status.OK;
    };
    ruleA = flaky('a');
    ruleB = flaky('b');
    const outcomes = await clients.callBatch(blackfridayScenario, events);
    assert.deepEqual(outcomes.map((o) => o.code), [0, 0, 0, 0, 0]);
    const [first, second] = firstWriter === 'a' ? [a.seen, b.seen] : [b.seen, a.seen];
    assert.deepEqual(first, [events.map((e) => e.eventId)]);
    assert.deepEqual(second, [[events[1].eventId, events[3].eventId]], 'only the refused events, and on the other writer');
  });

  it('never retries an event the writer called invalid, and reports it as such', async () => {
    reset();
    ruleA = ruleB = (id) => (id.endsWith('2') ? status.INVALID_ARGUMENT : status.OK);
    const outcomes = await clients.callBatch(blackfridayScenario, events);
    assert.deepEqual(outcomes.map((o) => o.code), [0, 0, status.INVALID_ARGUMENT, 0, 0]);
    assert.equal(a.seen.length + b.seen.length, 1, 'one call');
  });

  it('moves the whole batch to the next writer when a call is refused, and gives up after both', async () => {
    reset();
    ruleA = 'refuse-call';
    ruleB = () => status.OK;
    const ok = await clients.callBatch(blackfridayScenario, events);
    assert.deepEqual(ok.map((o) => o.code), [0, 0, 0, 0, 0]);
    assert.equal(b.seen.length, 1);

    reset();
    ruleB = 'refuse-call';
    const failed = await clients.callBatch(blackfridayScenario, events);
    assert.deepEqual(failed.map((o) => o.code), Array(5).fill(status.UNAVAILABLE));
    assert.equal(a.seen.length, 1, 'each writer tried once, not the same one twice');
    assert.equal(b.seen.length, 1);
  });

  it('rotates calls over the writers', async () => {
    reset();
    ruleA = ruleB = () => status.OK;
    for (let i = 0; i < 4; i++) await clients.callBatch(blackfridayScenario, events.slice(0, 1));
    assert.deepEqual([a.seen.length, b.seen.length], [2, 2]);
  });
});

/**
 * A target whose channel cannot pick a writer: it accepts TCP connections and never answers the
 * HTTP/2 handshake, so calls to it wait in "Waiting for LB pick" — what a relay saw in Kubernetes
 * for the seconds after a writer pod was replaced (its old address gone, the new one not resolved).
 */
async function silentTarget(): Promise<{ target: string; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('WriterClients with a target that cannot pick a writer', () => {
  const events = sampleEvents(5, 3, '01930000-0000-7000-8000-00000000010');
  let silent: Awaited<ReturnType<typeof silentTarget>>;
  let good: Awaited<ReturnType<typeof fakeWriter>>;
  let clients: WriterClients;

  before(async () => {
    silent = await silentTarget();
    good = await fakeWriter(() => () => status.OK);
    clients = new WriterClients([silent.target, good.target], 3000);
  });
  after(async () => {
    clients.close();
    good.stop();
    await silent.stop();
  });

  it('makes every batch durable on the other target within the deadline, whichever target the rotation starts with', async () => {
    for (let i = 0; i < 4; i++) {
      const outcomes = await clients.callBatch(blackfridayScenario, events);
      assert.deepEqual(
        outcomes.map((o) => statusName(o.code)),
        ['OK', 'OK', 'OK'],
        `call ${i}: ${JSON.stringify(outcomes)}`,
      );
    }
    assert.equal(good.seen.length, 4, 'each batch reached the writer that answers, once');
    good.seen.length = 0;
  });

  it('does the same for a single event through the unary method', async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await clients.call(blackfridayScenario, events[0].message, events[0].eventId, events[0].acceptedAt).then(
        () => 'OK',
        (error: { code: number }) => statusName(error.code),
      );
      assert.equal(answer, 'OK');
    }
    assert.equal(good.seen.length, 2);
  });
});

/** A gRPC status code's name (OK, DEADLINE_EXCEEDED, …), for readable failures. */
function statusName(code: number): string {
  return status[code] ?? String(code);
}
