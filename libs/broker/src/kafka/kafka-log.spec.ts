import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { logLevel, Partitioners } from 'kafkajs';
import pino from 'pino';
import { createKafka } from './kafka-client';
import { CONNECTION_SUMMARY_MS, KafkajsLog } from './kafka-log';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly kafka?: Record<string, unknown>;
}

/** A pino logger at debug level whose lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** A loopback port nothing listens on (bound, noted, closed). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const WARN = 40;
const connectionError = (broker: string) => ({
  namespace: 'Connection',
  level: logLevel.ERROR,
  log: { message: `Connection error: connect EHOSTUNREACH ${broker}`, broker, stack: 'Error: connect EHOSTUNREACH\n    at …' },
});

describe('kafkajs log lines', () => {
  it('a real client that cannot reach Kafka logs one readable warning, not a burst of stacks', async () => {
    const { logger, lines } = capture();
    const brokers = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`];
    const kafka = createKafka({ brokers, clientId: 'kafka-log-spec' }, logger);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2 } });
    const consumer = kafka.consumer({ groupId: `kafka-log-spec-${process.pid}` });
    const failures = await Promise.allSettled([producer.connect(), consumer.connect()]);
    assert.deepEqual(failures.map((f) => f.status), ['rejected', 'rejected'], 'nothing listens there: both must fail');

    const visible = lines.filter((l) => l.level >= WARN);
    const suppressed = lines.filter((l) => l.level < WARN && /Connection error|Failed to connect/.test(l.msg));
    assert.ok(suppressed.length >= 4, `kafkajs retried several times (${suppressed.length} connection errors seen)`);
    assert.equal(visible.length, 1, `one warning line while waiting, got:\n${visible.map((l) => l.msg).join('\n')}`);
    assert.match(visible[0].msg, /^Kafka not reachable yet \(Connection error: connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying/);
    assert.ok(!JSON.stringify(lines).includes('"stack"'), 'no stack traces for connection errors');

    const explained = lines.filter((l) => /bounded retries/.test(l.msg));
    assert.equal(explained.length, 1, 'the idempotent producer warning becomes one explanation');
    assert.ok(!lines.some((l) => l.msg.startsWith('Limiting retries')), "kafkajs's own wording is not repeated");
  });

  it('summarises a long outage every 30 s and starts over after a quiet spell', () => {
    const { logger, lines } = capture();
    let now = 1_000_000;
    const log = new KafkajsLog(logger, () => now);
    const warnings = () => lines.filter((l) => l.level >= WARN).map((l) => l.msg);

    log.write(connectionError('10.96.0.10:9092'));
    for (let i = 0; i < 9; i++) {
      now += 3_000;
      log.write(connectionError('10.96.0.10:9092'));
    }
    assert.equal(warnings().length, 1, 'within the first 30 s: the first line only');
    now += CONNECTION_SUMMARY_MS - 27_000;
    log.write(connectionError('10.96.0.10:9092'));
    assert.equal(warnings().length, 2);
    assert.match(warnings()[1], /^Kafka still not reachable after 30 s: 10 failed connections since the last line/);

    now += CONNECTION_SUMMARY_MS + 1; // Kafka answered for a while, then went away again
    log.write(connectionError('10.96.0.11:9092'));
    assert.equal(warnings().length, 3);
    assert.match(warnings()[2], /^Kafka not reachable yet \(Connection error: connect EHOSTUNREACH 10\.96\.0\.11:9092\)/);
  });

  it('passes every other kafkajs line through at its level, with the stack of errors', () => {
    const { logger, lines } = capture();
    const log = new KafkajsLog(logger);
    log.write({ namespace: 'Runner', level: logLevel.ERROR, log: { message: 'The group is rebalancing', groupId: 'g', stack: 'E' } });
    log.write({ namespace: 'Consumer', level: logLevel.WARN, log: { message: 'slow heartbeat', timestamp: 't', logger: 'kafkajs' } });
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.kafka]),
      [
        [50, 'The group is rebalancing', { groupId: 'g', stack: 'E' }],
        [40, 'slow heartbeat', {}],
      ],
    );
  });
});
