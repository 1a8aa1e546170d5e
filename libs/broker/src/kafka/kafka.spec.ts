import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { createLogger, until } from '@oleada/shared';
import type { IncomingRecord } from '../publisher';
import { createKafka } from './kafka-client';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaSubscriber } from './kafka-subscriber';
import { ensureTopics } from './topics';

// Runs against the real Kafka 4.x broker that `npm test` starts (KAFKA_BROKERS).
const brokers = process.env.KAFKA_BROKERS;
const logger = createLogger('broker-test', 'error');

describe('kafkajs against the real Kafka 4.x broker', () => {
  let kafka: Kafka;
  const topic = `broker-test-${Date.now().toString(36)}`;

  before(async () => {
    assert.ok(brokers, 'KAFKA_BROKERS is not set: run with `npm test`, which starts Kafka');
    kafka = createKafka({ brokers: brokers.split(','), clientId: 'broker-test' }, logger);
    await ensureTopics(kafka, [{ topic, partitions: 3 }]);
    await ensureTopics(kafka, [{ topic, partitions: 3 }]); // idempotent
  });

  it('negotiates API versions with the broker', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    assert.equal(cluster.brokers.length, 1);
  });

  let batches: number[] = [];
  it('shares produce requests between concurrent publishes and acknowledges each (idempotent, acks=all)', async () => {
    const publisher = new KafkaPublisher(kafka, logger, { lingerMs: 10, batchMax: 100, onBatch: (n) => batches.push(n) });
    await publisher.connect();
    const publishes = Array.from({ length: 300 }, (_, i) =>
      publisher.publish({ topic, key: `k${i % 7}`, value: Buffer.from(`v${i}`), headers: { 'x-event-id': `id-${i}` } }),
    );
    await Promise.all(publishes);
    await publisher.disconnect();
    assert.equal(batches.reduce((a, b) => a + b, 0), 300);
    assert.ok(batches.length <= 10, `300 concurrent publishes took ${batches.length} produce requests`);
    assert.ok(Math.max(...batches) <= 100, 'batches are bounded');
  });

  it('delivers whole batches, commits only after the handler succeeded, and redelivers after a failure', async () => {
    const groupId = `${topic}-group`;
    const seen = new Map<string, number>();
    let failOnce = true;
    const partitionsPerCall: number[] = [];
    const first = new KafkaSubscriber(kafka, logger, { groupId, topics: [topic], partitionsConsumedConcurrently: 3 });
    await first.start(async (records: readonly IncomingRecord[]) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('simulated Valkey outage');
      }
      assert.ok(records.length <= 1000, 'at most maxBatch records per call');
      partitionsPerCall.push(new Set(records.map((r) => r.partition)).size);
      for (const r of records) seen.set(r.headers['x-event-id'] as string, (seen.get(r.headers['x-event-id'] as string) ?? 0) + 1);
    });
    await until(() => seen.size === 300, 'all 300 records', { timeoutMs: 300_000 });
    await first.stop();
    // The three partitions' batches of one fetch went to Valkey in one call.
    assert.ok(Math.max(...partitionsPerCall) > 1, `partitions per handler call: ${partitionsPerCall.join(',')}`);
    // A new member of the same group starts after the committed offsets: nothing is read again.
    let reread = 0;
    const second = new KafkaSubscriber(kafka, logger, { groupId, topics: [topic] });
    const publisher = new KafkaPublisher(kafka, logger);
    await publisher.connect();
    await second.start(async (records) => void (reread += records.length));
    await publisher.publish({ topic, key: 'k', value: Buffer.from('late'), headers: { 'x-event-id': 'late' } });
    await until(() => reread >= 1, 'the late record', { timeoutMs: 300_000 });
    await second.stop();
    await publisher.disconnect();
    assert.equal(reread, 1, 'only the new record was delivered to the second member');
    assert.equal(seen.size, 300);
  });

  after(() => {
    batches = [];
  });
});
