/**
 * Integration test of the local servers, on ports that do not clash with a running dev stack
 * (Valkey 26379, Kafka 29092/29093). Needs `bash tools/scripts/setup.sh` (Kafka jars, valkey-server).
 *   npx tsc -b tools/local && node --test tools/local/dist/infra/infra.spec.js
 * A server that cannot start fails the test with its log tail (never a skip).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Valkey from 'iovalkey';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { isPortOpen, probeValkey, repoRoot, startKafka, startValkey, type KafkaHandle, type ValkeyHandle } from './index';

const VALKEY_PORT = 26379;
const KAFKA_PORT = 29092;
const CONTROLLER_PORT = 29093;

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const kafkajsVersion = (JSON.parse(readFileSync(join(repoRoot(), 'node_modules/kafkajs/package.json'), 'utf8')) as { version: string }).version;

describe('valkey', () => {
  let valkey: ValkeyHandle | undefined;
  let client: Valkey | undefined;

  let startError: unknown;
  const needValkey = (): ValkeyHandle => {
    if (!valkey) throw new Error('valkey did not start (see the first test)');
    return valkey;
  };
  before(async () => {
    const t0 = Date.now();
    try {
      valkey = await startValkey({ port: VALKEY_PORT, fresh: true });
      console.log(`valkey started in ${Date.now() - t0} ms at ${valkey.url} (pid ${valkey.pid})`);
    } catch (err) {
      startError = err; // reported as a failing test below, with the log tail
    }
  });

  after(async () => {
    client?.disconnect();
    await valkey?.stop();
  });

  it('starts an owned server on the requested port', () => {
    if (startError) throw startError;
    assert.ok(valkey, 'valkey did not start');
    assert.equal(valkey.reused, false);
    assert.equal(valkey.url, `redis://127.0.0.1:${VALKEY_PORT}`);
    assert.equal(typeof valkey.pid, 'number');
  });

  it('answers PING and SET/GET through iovalkey', async () => {
    client = new Valkey(needValkey().url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.set('oleada:test:key', 'value-1'), 'OK');
    assert.equal(await client.get('oleada:test:key'), 'value-1');
    const info = await client.info('server');
    console.log(`${/valkey_version:\S+/.exec(info)?.[0] ?? info.split('\n')[1]}`);
  });

  it('reuses a server that already answers on the port', async () => {
    const second = await startValkey({ port: VALKEY_PORT });
    assert.equal(second.reused, true);
    assert.equal(second.url, needValkey().url);
    await second.stop(); // no-op for a reused handle
    assert.equal((await probeValkey(VALKEY_PORT)).state, 'expected');
    await assert.rejects(second.kill(), /reused/);
  });

  it('refuses a port held by something that is not Valkey', async () => {
    // a plain TCP server that answers like an HTTP server, not RESP
    const net = await import('node:net');
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume(); // read the client's bytes so its close is noticed and srv.close() can finish
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => srv.listen(26380, '127.0.0.1', r));
    try {
      await assert.rejects(startValkey({ port: 26380 }), /in use by something that is not a usable Valkey/);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('a server that cannot start rejects with its log tail', async () => {
    await assert.rejects(startValkey({ port: 26381, extraArgs: ['--no-such-directive', 'x'] }), (err: Error) => {
      assert.match(err.message, /valkey on 127\.0\.0\.1:26381 exited with code 1 before answering/);
      assert.match(err.message, /--- last 40 lines of .*valkey\.log ---/);
      assert.match(err.message, /no-such-directive/i);
      return true;
    });
    assert.equal(await isPortOpen(26381), false);
  });

  it('stops: the port is closed afterwards, and stop() is idempotent', async () => {
    await needValkey().stop();
    await needValkey().stop();
    assert.equal(await isPortOpen(VALKEY_PORT), false);
  });
});

describe(`kafka (kafkajs ${kafkajsVersion})`, () => {
  let kafka: KafkaHandle | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let startError: unknown;
  const needKafka = (): KafkaHandle => {
    if (!kafka) throw new Error('kafka did not start (see the first test)');
    return kafka;
  };

  before(async () => {
    const t0 = Date.now();
    try {
      kafka = await startKafka({ port: KAFKA_PORT, controllerPort: CONTROLLER_PORT, fresh: true });
      console.log(`kafka started in ${Date.now() - t0} ms at ${kafka.brokers} (pid ${kafka.pid}, cluster ${kafka.clusterId})`);
    } catch (err) {
      startError = err; // reported as a failing test below, with the log tail
    }
  });

  after(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafka?.stop();
  });

  const client = (): Kafka =>
    new Kafka({ clientId: 'oleada-infra-spec', brokers: [needKafka().brokers], logLevel: logLevel.WARN });

  it('starts Kafka in KRaft combined mode', () => {
    if (startError) throw startError;
    assert.ok(kafka, 'kafka did not start');
  });

  it('creates a topic, produces idempotently with acks=all and consumes it back', async () => {
    const kafka = needKafka();
    assert.equal(kafka.reused, false);
    assert.equal(kafka.brokers, `127.0.0.1:${KAFKA_PORT}`);
    const topic = 'oleada.infra-spec';
    const k = client();

    admin = k.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);
    assert.ok((await admin.listTopics()).includes(topic));

    producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 5}`, value: `event-${i}` }));
    const res = await producer.send({ topic, acks: -1, messages: sent });
    assert.ok(res.length > 0 && res.every((r) => r.errorCode === 0), JSON.stringify(res));

    consumer = k.consumer({ groupId: 'oleada-infra-spec', sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolveAll, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${received.length}/${sent.length} in 30 s`)), 30_000);
      void consumer!
        .run({
          eachMessage: async ({ message }) => {
            received.push(message.value!.toString());
            if (received.length === sent.length) {
              clearTimeout(timer);
              resolveAll();
            }
          },
        })
        .catch(reject);
    });
    assert.deepEqual([...received].sort(), sent.map((m) => m.value).sort());

    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.reduce((n, o) => n + Number(o.high), 0), sent.length);
  });

  it('reuses a broker that already answers on the port', async () => {
    const second = await startKafka({ port: KAFKA_PORT, controllerPort: CONTROLLER_PORT });
    assert.equal(second.reused, true);
    await second.stop(); // no-op
    assert.equal(needKafka().running, true);
  });

  it('survives kill -9 and restarts on the same data dir with the topic intact', async () => {
    await consumer?.disconnect();
    consumer = undefined;
    await producer?.disconnect();
    producer = undefined;
    await admin?.disconnect();
    admin = undefined;

    await needKafka().kill('SIGKILL');
    assert.equal(needKafka().running, false);
    assert.equal(await isPortOpen(KAFKA_PORT), false);
    const t0 = Date.now();
    await needKafka().start();
    console.log(`kafka restarted after SIGKILL in ${Date.now() - t0} ms`);
    const a = client().admin();
    await a.connect();
    try {
      assert.ok((await a.listTopics()).includes('oleada.infra-spec'));
      const offsets = await a.fetchTopicOffsets('oleada.infra-spec');
      assert.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 20);
    } finally {
      await a.disconnect();
    }
  });

  it('stops: both ports are closed afterwards', async () => {
    const t0 = Date.now();
    await needKafka().stop();
    console.log(`kafka stopped in ${Date.now() - t0} ms`);
    await needKafka().stop();
    assert.equal(await isPortOpen(KAFKA_PORT), false);
    assert.equal(await isPortOpen(CONTROLLER_PORT), false);
  });
});
