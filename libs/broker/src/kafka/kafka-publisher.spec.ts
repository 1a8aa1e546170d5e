import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, RetriableError } from '@oleada/shared';
import type { Kafka } from 'kafkajs';
import { KafkaPublisher } from './kafka-publisher';

/** A kafkajs producer stand-in: records what is sent through it, fails when told to. */
class FakeProducer {
  readonly events = { CONNECT: 'connect', DISCONNECT: 'disconnect' };
  readonly sent: string[][] = [];
  connected = false;
  disconnected = false;
  constructor(
    readonly id: number,
    private readonly log: string[],
    private readonly fail: () => boolean,
  ) {}
  on(): void {}
  async connect(): Promise<void> {
    this.connected = true;
    this.log.push(`connect ${this.id}`);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async sendBatch(request: { topicMessages: Array<{ messages: Array<{ value: Buffer }> }> }): Promise<void> {
    const values = request.topicMessages.flatMap((t) => t.messages.map((m) => m.value.toString()));
    this.log.push(`start ${this.id} ${values.join(',')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.log.push(`end ${this.id}`);
    if (this.fail()) throw new Error('Closed connection'); // the outcome is unknown: it may have been written
    this.sent.push(values);
  }
}

function fakeKafka(failures: Set<number>) {
  const producers: FakeProducer[] = [];
  const log: string[] = [];
  let requests = 0;
  const kafka = {
    producer: () => {
      const producer = new FakeProducer(producers.length, log, () => failures.has(requests++));
      producers.push(producer);
      return producer;
    },
  } as unknown as Kafka;
  return { kafka, producers, log };
}

const record = (value: string) => ({ topic: 't', key: value, value: Buffer.from(value), headers: {} });

describe('KafkaPublisher after a failed produce request', () => {
  it('sends nothing more under that producer id: the next request goes through a new producer', async () => {
    const { kafka, producers, log } = fakeKafka(new Set([1]));
    const publisher = new KafkaPublisher(kafka, createLogger('test', 'silent'), { lingerMs: 1, batchMax: 1 });
    await publisher.connect();
    await publisher.publish(record('a'));
    await assert.rejects(publisher.publish(record('b')), RetriableError);
    await publisher.publish(record('c'));
    await publisher.publish(record('d'));
    assert.equal(producers.length, 2, 'one replacement');
    assert.deepEqual(producers[0].sent, [['a']]);
    assert.ok(producers[0].disconnected, 'the old producer is closed');
    assert.deepEqual(producers[1].sent, [['c'], ['d']]);
    assert.ok(log.indexOf('connect 1') < log.indexOf('start 1 c'), 'the new producer has its own id before it sends');
    await publisher.disconnect();
  });

  it('stays disconnected after disconnect(), even after a failure, until connect()', async () => {
    const { kafka, producers } = fakeKafka(new Set([0]));
    const publisher = new KafkaPublisher(kafka, createLogger('test', 'silent'), { lingerMs: 1, batchMax: 1 });
    await publisher.connect();
    await assert.rejects(publisher.publish(record('a')), RetriableError);
    await publisher.disconnect();
    await assert.rejects(publisher.publish(record('b')), /disconnected/);
    assert.equal(producers.length, 1, 'no producer renewed while disconnected');
    await publisher.connect();
    await publisher.publish(record('c'));
    assert.deepEqual(producers[1].sent, [['c']]);
    await publisher.disconnect();
  });

  it('sends one request at a time, so none is caught between a failure and the replacement', async () => {
    const { kafka, producers, log } = fakeKafka(new Set([0]));
    const publisher = new KafkaPublisher(kafka, createLogger('test', 'silent'), { lingerMs: 1, batchMax: 1 });
    await publisher.connect();
    const results = await Promise.allSettled(['a', 'b', 'c'].map((v) => publisher.publish(record(v))));
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled', 'fulfilled'],
    );
    // Every request ends before the next starts, and after the failure of 'a' only producer 1 sends.
    const starts = log.filter((l) => l.startsWith('start'));
    assert.deepEqual(starts, ['start 0 a', 'start 1 b', 'start 1 c']);
    for (let i = 0; i < log.length - 1; i++) if (log[i].startsWith('start')) assert.match(log[i + 1], /^end/, log.join(' | '));
    assert.deepEqual(producers[1].sent, [['b'], ['c']]);
    await publisher.disconnect();
  });
});
