import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blackfridayScenario as scenario, canonicalRoute, seededRandom } from '@oleada/scenarios';
import { repoRoot } from '../infra/paths';
import { scrapeMetric, waitFor } from '../load';
import { AppProcess } from '../stack/processes';
import { testPortOffset, testServers } from '../testing';
import { blackfridayCase, olympicsCase, weatherCase } from './cases';
import { describePipeline, post, readWrites } from './pipeline-suite';
import { specClientChecks } from './spec-clients';

/** gateway → relay → writers → Kafka → consumer → Valkey, every hop a real process, every scenario on one stack. */
describePipeline({
  title: 'the pipeline on Kafka end to end',
  broker: 'kafka',
  portOffset: 300,
  cases: [blackfridayCase, weatherCase, olympicsCase],
  more: (context) => {
    specClientChecks(context, [blackfridayCase, weatherCase, olympicsCase]);

    it('answers 503 with Retry-After, never 2xx, while the relay is down, and recovers', async () => {
      const { stack, url, valkey } = context();
      const [keys] = context().keysOf(scenario);
      await stack.relay.stop();
      const before = await readWrites(valkey, scenario, keys);
      const answer = await post(`${url}${canonicalRoute(scenario)}`, JSON.stringify(scenario.sample(seededRandom(5))));
      assert.equal(answer.status, 503);
      assert.equal(answer.retryAfter, '1');
      assert.equal(typeof answer.json.id, 'string');
      stack.relay.start();
      await stack.relay.waitReady();
      const again = await post(`${url}${canonicalRoute(scenario)}`, JSON.stringify(scenario.sample(seededRandom(5))));
      assert.equal(again.status, 202);
      const [after] = await context().settle(scenario, [before], 1);
      assert.equal(after[keys.metric('total')][''] - before[keys.metric('total')][''], 1);
    });
  },
});

describe('gateway limits and configuration', () => {
  it('sheds load beyond MAX_IN_FLIGHT with a fast 503', async () => {
    // A relay that accepts connections and never answers: requests pile up in the gateway.
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const relayPort = (silent.address() as { port: number }).port;
    const gatewayPort = 18480 + testPortOffset(0);
    const gateway = new AppProcess(
      { name: 'gateway-limits', app: 'gateway', port: gatewayPort, env: { RELAY_URL: `http://127.0.0.1:${relayPort}`, VALKEY_URL: testServers().valkeyUrl, MAX_IN_FLIGHT: '4', REQUEST_TIMEOUT_MS: '10000', LOG_LEVEL: 'warn' } },
      repoRoot(),
      join(repoRoot(), '.cache/run/logs-e2e'),
    );
    gateway.start();
    try {
      await gateway.waitReady();
      const body = JSON.stringify(scenario.sample(seededRandom(3)));
      let stuckAnswered = false;
      const stuck = Promise.all(Array.from({ length: 4 }, () => post(`http://127.0.0.1:${gatewayPort}${canonicalRoute(scenario)}`, body))).finally(() => (stuckAnswered = true));
      await waitFor(async () => (await scrapeMetric(gatewayPort, 'oleada_gateway_in_flight')) >= 4, 60_000, 'the 4 stuck requests in flight');
      const shed = await post(`http://127.0.0.1:${gatewayPort}${canonicalRoute(scenario)}`, body);
      assert.equal(shed.status, 503);
      assert.equal(shed.retryAfter, '1');
      assert.equal(shed.json.error, 'overloaded');
      assert.equal(stuckAnswered, false, 'shed at once, not after the stuck requests reached their deadline');
      const timedOut = await stuck;
      assert.deepEqual(timedOut.map((r) => r.status), [503, 503, 503, 503], 'a relay that never answers gives 503 after the deadline, not 2xx');
    } finally {
      await gateway.stop();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('stops at start-up with a message naming each missing or bad variable', () => {
    const run = (app: string, env: Record<string, string>) =>
      spawnSync(process.execPath, [join(repoRoot(), 'apps', app, 'dist', 'main.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });
    const gateway = run('gateway', { PORT: 'eighty' });
    assert.equal(gateway.status, 78);
    assert.match(gateway.stderr, /RELAY_URL is required but not set/);
    assert.match(gateway.stderr, /PORT is invalid/);
    const relay = run('relay', {});
    assert.equal(relay.status, 78);
    assert.match(relay.stderr, /WRITER_TARGETS is required/);
    const writer = run('writer', { KAFKA_BROKERS: 'x:1', SCENARIOS: 'blackfriday', LINGER_MS: '-1' });
    assert.equal(writer.status, 78);
    assert.match(writer.stderr, /LINGER_MS is invalid/);
    const consumer = run('consumer', { KAFKA_BROKERS: 'x:1' });
    assert.equal(consumer.status, 78);
    assert.match(consumer.stderr, /VALKEY_URL is required/);
    const rabbitWriter = run('writer', { BROKER: 'rabbitmq', KAFKA_BROKERS: 'x:1' });
    assert.equal(rabbitWriter.status, 78);
    assert.match(rabbitWriter.stderr, /RABBITMQ_URL is required but not set \(BROKER=rabbitmq\)/);
    const rabbitConsumer = run('consumer', { BROKER: 'rabbitmq', VALKEY_URL: 'redis://x:1', RABBITMQ_URL: 'amqp://u:secret@x:5672/' });
    assert.equal(rabbitConsumer.status, 78);
    assert.match(rabbitConsumer.stderr, /put the password in RABBITMQ_PASSWORD/);
    assert.doesNotMatch(rabbitConsumer.stderr, /secret/, 'the password is not echoed');
    const kafkaless = run('writer', { BROKER: 'kafka' });
    assert.equal(kafkaless.status, 78);
    assert.match(kafkaless.stderr, /KAFKA_BROKERS is required but not set/);
    const badBroker = run('consumer', { BROKER: 'nats', VALKEY_URL: 'redis://x:1' });
    assert.equal(badBroker.status, 78);
    assert.match(badBroker.stderr, /BROKER is invalid/);
    const badFanout = run('relay', { WRITER_TARGETS: 'a:1', FANOUT_TARGETS: ';;', GRPC_DEADLINE_MS: '0' });
    assert.equal(badFanout.status, 78);
    assert.match(badFanout.stderr, /GRPC_DEADLINE_MS is invalid/);
    const unknownScenario = run('writer', { KAFKA_BROKERS: 'x:1', SCENARIOS: 'nope' });
    assert.notEqual(unknownScenario.status, 0);
    assert.match(unknownScenario.stderr, /unknown scenario "nope"/);
  });
});
