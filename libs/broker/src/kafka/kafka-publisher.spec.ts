import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, RetriableError } from '@oleada/shared';
import type { ICustomPartitioner, Kafka, ProducerConfig, RecordMetadata } from 'kafkajs';
import { KafkaPublisher, type KafkaPublisherOptions } from './kafka-publisher';

/** Partitions of the stand-in's topics (all led by broker 0). */
const PARTITIONS = 4;

/**
 * A kafkajs producer stand-in: records what is sent through it, fails when told to, and answers
 * like kafkajs, one entry per topic-partition it wrote — the partitions found by the publisher's
 * own partitioner — leaving out those `omits` names for a request, as kafkajs does when it skipped
 * them on a retry.
 */
class FakeProducer {
  readonly events = { CONNECT: 'connect', DISCONNECT: 'disconnect' };
  readonly sent: string[][] = [];
  connected = false;
  disconnected = false;
  private readonly partitioner: ReturnType<ICustomPartitioner>;
  constructor(
    readonly id: number,
    private readonly log: string[],
    private readonly fail: () => boolean,
    private readonly hold: () => Promise<void>,
    private readonly connecting: () => Promise<void>,
    config: ProducerConfig,
    private readonly omits: () => number | undefined,
  ) {
    this.partitioner = config.createPartitioner!();
  }
  on(): void {}
  async connect(): Promise<void> {
    await this.connecting();
    this.connected = true;
    this.log.push(`connect ${this.id}`);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  async sendBatch(request: { topicMessages: Array<{ topic: string; messages: Array<{ key: string; value: Buffer }> }> }): Promise<RecordMetadata[]> {
    const values = request.topicMessages.flatMap((t) => t.messages.map((m) => m.value.toString()));
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const partitions = new Map<string, number[]>();
    for (const { topic, messages } of request.topicMessages) {
      partitions.set(topic, [...new Set(messages.map((message) => this.partitioner({ topic, partitionMetadata, message })))]);
    }
    const omitted = this.omits();
    this.log.push(`start ${this.id} ${values.join(',')}`);
    await this.hold();
    this.log.push(`end ${this.id}`);
    if (this.fail()) throw new Error('Closed connection'); // the outcome is unknown: it may have been written
    this.sent.push(values);
    return [...partitions].flatMap(([topicName, ids]) => ids.filter((partition) => partition !== omitted).map((partition) => ({ topicName, partition, errorCode: 0 })));
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const shortDelay = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

/** Requests that stay in flight until the test releases them, one at a time, in order. */
function manualRequests() {
  const waiting: Array<() => void> = [];
  return {
    hold: () => new Promise<void>((resolve) => waiting.push(resolve)),
    /** Completes the oldest request in flight, waiting for one to be sent first. */
    async releaseNext(): Promise<void> {
      while (waiting.length === 0) await nextTurn();
      waiting.shift()!();
    },
  };
}

function fakeKafka(
  failures: ReadonlySet<number>,
  hold: () => Promise<void> = shortDelay,
  connecting: (id: number) => Promise<void> = async () => undefined,
  omitted: ReadonlyMap<number, number> = new Map(),
) {
  const producers: FakeProducer[] = [];
  const log: string[] = [];
  let requests = 0;
  let answers = 0;
  const kafka = {
    producer: (config: ProducerConfig) => {
      const id = producers.length;
      const producer = new FakeProducer(id, log, () => failures.has(requests++), hold, () => connecting(id), config, () => omitted.get(answers++));
      producers.push(producer);
      return producer;
    },
  } as unknown as Kafka;
  return { kafka, producers, log };
}

const record = (value: string) => ({ topic: 't', key: value, value: Buffer.from(value), headers: {} });

/**
 * A connected publisher over fake producers whose requests fail at the given indexes, and whose
 * answers leave out a partition where `omitted` says so (answer index → partition).
 */
async function connectedPublisher(
  failures: number[],
  options?: KafkaPublisherOptions,
  hold?: () => Promise<void>,
  connecting?: (id: number) => Promise<void>,
  omitted?: ReadonlyMap<number, number>,
) {
  const fake = fakeKafka(new Set(failures), hold, connecting, omitted);
  const publisher = new KafkaPublisher(fake.kafka, createLogger('test', 'silent'), options);
  await publisher.connect();
  return { ...fake, publisher };
}

describe('KafkaPublisher batching', () => {
  it('sends the records published in one event-loop turn in one request, without a linger', async () => {
    const { publisher, producers, log } = await connectedPublisher([]);
    const published = ['a', 'b', 'c'].map((v) => publisher.publish(record(v)));
    await nextTurn();
    assert.deepEqual(log.filter((l) => l.startsWith('start')), ['start 0 a,b,c'], 'sent once the turn ended, not after a timer');
    await Promise.all(published);
    assert.deepEqual(producers[0].sent, [['a', 'b', 'c']]);
    await publisher.disconnect();
  });

  it('collects what arrives while a request is in flight and sends it, up to batchMax, as soon as that request completes', async () => {
    const requests = manualRequests();
    const { publisher, producers, log } = await connectedPublisher([], { batchMax: 2 }, requests.hold);
    const published = [publisher.publish(record('a'))];
    await nextTurn();
    assert.deepEqual(log, ['connect 0', 'start 0 a']);
    for (const v of ['b', 'c', 'd']) {
      published.push(publisher.publish(record(v)));
      await nextTurn();
    }
    assert.deepEqual(log, ['connect 0', 'start 0 a'], 'nothing more is sent while a request is in flight');
    for (let i = 0; i < 3; i++) await requests.releaseNext();
    await Promise.all(published);
    assert.deepEqual(producers[0].sent, [['a'], ['b', 'c'], ['d']]);
    assert.deepEqual(log, ['connect 0', 'start 0 a', 'end 0', 'start 0 b,c', 'end 0', 'start 0 d', 'end 0']);
    await publisher.disconnect();
  });

  it('rejects exactly the records of a failed request, and sends the next ones through a new producer', async () => {
    const { publisher, producers, log } = await connectedPublisher([0]);
    const failed = ['a', 'b'].map((v) => publisher.publish(record(v)));
    await nextTurn();
    const next = ['c', 'd'].map((v) => publisher.publish(record(v)));
    const results = await Promise.allSettled([...failed, ...next]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.ok(results.slice(0, 2).every((r) => r.status === 'rejected' && r.reason instanceof RetriableError));
    assert.deepEqual(log, ['connect 0', 'start 0 a,b', 'end 0', 'connect 1', 'start 1 c,d', 'end 1']);
    assert.deepEqual(producers[1].sent, [['c', 'd']]);
    await publisher.disconnect();
  });

  it('sends again the records of a partition the answer left out (kafkajs skips partitions whose leader moved on its retry), on the same producer', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const fake = fakeKafka(new Set());
    const publisher = new KafkaPublisher(fake.kafka, createLogger('test', 'silent'));
    await publisher.connect();
    // which partition the publisher's partitioner gives each key, by its first request
    const first = await Promise.all(keys.map((v) => publisher.publish(record(v))));
    assert.equal(first.length, keys.length);
    await publisher.disconnect();

    const partitionOf = new Map<string, number>();
    const probe = fake.producers[0] as unknown as { partitioner: ReturnType<ICustomPartitioner> };
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (const key of keys) partitionOf.set(key, probe.partitioner({ topic: 't', partitionMetadata, message: record(key) }));
    const skipped = partitionOf.get('a')!;
    const again = keys.filter((key) => partitionOf.get(key) === skipped);
    assert.ok(again.length < keys.length, 'the keys span more than one partition');

    const { publisher: second, producers, log } = await connectedPublisher([], undefined, undefined, undefined, new Map([[0, skipped]]));
    await Promise.all(keys.map((v) => second.publish(record(v))));
    assert.deepEqual(log, ['connect 0', `start 0 ${keys.join(',')}`, 'end 0', `start 0 ${again.join(',')}`, 'end 0'], 'the left-out partition\'s records again, through the same producer');
    assert.deepEqual(producers[0].sent, [keys, again]);
    await second.disconnect();
  });

  it('fails the records after three answers that left out their partition', async () => {
    const { publisher, producers } = await connectedPublisher([], undefined, undefined, undefined, new Map([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0]]));
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const results = await Promise.allSettled(keys.map((v) => publisher.publish(record(v))));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof RetriableError), 'the whole request is reported unavailable');
    assert.equal(producers[0].sent.length, 3, 'three requests, then no more');
    await publisher.disconnect();
  });

  it('holds a request open for lingerMs when one is set', async () => {
    const { publisher, producers, log } = await connectedPublisher([], { lingerMs: 20 });
    const published = [publisher.publish(record('a'))];
    await nextTurn();
    published.push(publisher.publish(record('b')));
    assert.deepEqual(log, ['connect 0'], 'still lingering');
    await Promise.all(published);
    assert.deepEqual(producers[0].sent, [['a', 'b']]);
    await publisher.disconnect();
  });
});

describe('KafkaPublisher after a failed produce request', () => {
  it('sends nothing more under that producer id: the next request goes through a new producer', async () => {
    const { publisher, producers, log } = await connectedPublisher([1], { batchMax: 1 });
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

  it('fails the records waiting for a new producer at once while it cannot connect, and sends the next ones through it once it did', async () => {
    const slowConnect = manualRequests(); // the replacement's connection hangs, as while Kafka is down
    const { publisher, producers, log } = await connectedPublisher([0], { batchMax: 1 }, undefined, (id) => (id === 0 ? Promise.resolve() : slowConnect.hold()));
    await assert.rejects(publisher.publish(record('a')), RetriableError);
    await assert.rejects(publisher.publish(record('b')), /Kafka is not reachable: no connection within/, 'not held until the connection attempt ends');
    assert.equal(producers.length, 2, 'one replacement is being connected');
    assert.ok(!log.includes('connect 1'), 'it has not connected yet');
    const c = publisher.publish(record('c'));
    await slowConnect.releaseNext();
    await c;
    assert.equal(producers.length, 2, 'the later request joined that replacement');
    assert.deepEqual(producers[1].sent, [['c']]);
    assert.ok(!log.some((l) => l.includes(' b')), 'b was never sent: its caller retries it');
    await publisher.disconnect();
  });

  it('stays disconnected after disconnect(), even after a failure, until connect()', async () => {
    const { publisher, producers } = await connectedPublisher([0], { batchMax: 1 });
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
    const { publisher, producers, log } = await connectedPublisher([0], { batchMax: 1 });
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
