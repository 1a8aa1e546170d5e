import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createLogger, until } from '@oleada/shared';
import { createKafka } from './kafka-client';
import { ensureTopics } from './topics';
import { kafkajsRequestQueue } from './request-queue-timer';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Queues made by a test, destroyed after it whatever its outcome (a leftover timer would keep the process alive). */
const made: Array<{ destroy(): void }> = [];
afterEach(() => made.splice(0).forEach((q) => q.destroy()));

/** A RequestQueue of the kafkajs in use (fixed: kafka-client installs the fix when imported). */
function queue(maxInFlightRequests: number) {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (options: object) => {
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    readonly pending: readonly unknown[];
    push(request: object): void;
    fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
    destroy(): void;
  };
  const requests = new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'spec:9092', logger: silent });
  made.push(requests);
  const sent: number[] = [];
  const answered: number[] = [];
  const push = (correlationId: number) =>
    requests.push({
      entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 3, resolve: () => answered.push(correlationId), reject: (error: Error) => assert.fail(error) },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  const answer = (correlationId: number) => requests.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });
  return { requests, sent, answered, push, answer };
}

describe('kafkajs RequestQueue without its idle 1 ms timer', () => {
  it('arms no timer once nothing waits: after a response with an empty queue, none is scheduled', () => {
    const { requests, sent, answered, push, answer } = queue(1);
    push(1);
    assert.deepEqual(sent, [1], 'sent at once: a slot was free');
    answer(1);
    assert.deepEqual(answered, [1]);
    assert.equal(requests.throttleCheckTimeoutId, null, 'kafkajs 2.2.4 arms a 1 ms timer here, and re-arms it from that timer forever');
  });

  it('still sends a request that waited for an in-flight slot, as soon as the slot frees', async () => {
    const { requests, sent, push, answer } = queue(1);
    push(1);
    push(2);
    assert.deepEqual(sent, [1], 'the second waits: one request in flight at most');
    assert.equal(requests.pending.length, 1);
    answer(1);
    assert.deepEqual(sent, [1, 2], 'the response checks the queue');
    answer(2);
    // The check armed while request 2 waited runs once, finds nothing, and arms nothing more.
    await until(() => requests.throttleCheckTimeoutId === null, 'the check armed for the waiting request to run', { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(requests.throttleCheckTimeoutId, null, 'nothing re-armed');
  });

  it('sends what waited out a broker throttle when the throttle ends, by its timer', async () => {
    const { requests, sent, push } = queue(5);
    requests.throttledUntil = Date.now() + 50;
    const queuedAt = Date.now();
    push(1);
    assert.deepEqual(sent, [], 'throttled: the request waits');
    assert.notEqual(requests.throttleCheckTimeoutId, null, 'a timer for the end of the throttle');
    await until(() => sent.length === 1, 'the throttled request to be sent', { timeoutMs: 10_000 });
    assert.ok(Date.now() - queuedAt >= 45, 'not before the throttle ended');
    assert.equal(requests.throttleCheckTimeoutId, null, 'and nothing armed after it');
  });

  it('leaves a connected producer idle: no queue check while nothing is sent (real Kafka)', async () => {
    const brokers = process.env.KAFKA_BROKERS;
    assert.ok(brokers, 'KAFKA_BROKERS is not set: run with `npm test`, which starts Kafka');
    const logger = createLogger('request-queue-spec', 'error');
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'request-queue-spec' }, logger);
    const topic = `request-queue-spec-${process.pid}-${Date.now().toString(36)}`;
    await ensureTopics(kafka, [{ topic, partitions: 1 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    const { prototype } = kafkajsRequestQueue();
    const check = prototype.checkPendingRequests;
    let checks = 0;
    prototype.checkPendingRequests = function (this: typeof prototype) {
      checks++;
      return check.call(this);
    };
    try {
      // With kafkajs 2.2.4's timer each connection checks its queue about once a millisecond.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      prototype.checkPendingRequests = check;
      await producer.disconnect();
    }
    assert.ok(checks <= 2, `the idle producer's connections checked their queues ${checks} times in 300 ms`);
  });
});
