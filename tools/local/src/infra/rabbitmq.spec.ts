/**
 * Integration test of the local RabbitMQ node, on ports of its own (AMQP 25672, distribution
 * 25673, epmd 25674, plus OLEADA_TEST_PORT_OFFSET). Needs `bash tools/scripts/setup.sh` (Debian's
 * rabbitmq-server). A node that cannot start fails the test with its log tail (never a skip).
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectRabbitMQ } from '@oleada/broker';
import { testPortOffset } from '../testing';
import { cacheDir } from './paths';
import { isPortOpen } from './probe';
import { localRabbitMQCredentials, probeRabbitMQ, startRabbitMQ, type RabbitMQHandle } from './rabbitmq';

const PORT = testPortOffset(25672);

describe('rabbitmq', () => {
  let node: RabbitMQHandle | undefined;
  let startError: unknown;
  const needNode = (): RabbitMQHandle => {
    if (!node) throw new Error('rabbitmq did not start (see the first test)');
    return node;
  };
  const login = (password: string, username = localRabbitMQCredentials().username) =>
    connectRabbitMQ({ url: `amqp://127.0.0.1:${PORT}/`, username, password, clientName: 'infra-spec' });

  before(async () => {
    const t0 = Date.now();
    try {
      node = await startRabbitMQ({ port: PORT, fresh: true });
      console.log(`rabbitmq started in ${Date.now() - t0} ms at ${node.url} (pid ${node.pid})`);
    } catch (error) {
      startError = error; // reported as a failing test below, with the log tail
    }
  });

  after(async () => {
    await node?.stop();
  });

  it('starts its own node on loopback, with the generated local user and without guest', async () => {
    if (startError) throw startError;
    const { url, reused, env, credentials } = needNode();
    assert.equal(reused, false);
    assert.equal(url, `amqp://127.0.0.1:${PORT}/`);
    assert.deepEqual(Object.keys(env).sort(), ['RABBITMQ_PASSWORD', 'RABBITMQ_URL', 'RABBITMQ_USERNAME']);
    assert.notEqual(credentials.username, 'guest');
    assert.equal(statSync(join(cacheDir(), 'rabbitmq.credentials.json')).mode & 0o077, 0, 'the credentials file is private');
    const connection = await login(credentials.password);
    await connection.close();
    await assert.rejects(login('guest', 'guest'), /ACCESS_REFUSED|403/, 'guest was deleted');
    await assert.rejects(login('not-the-password'), /ACCESS_REFUSED|403/);
    assert.equal(await isPortOpen(PORT + 1), true, 'distribution port');
    assert.equal(await isPortOpen(PORT + 2), true, "the node's own epmd");
  });

  it('reuses a node that already answers on the port', async () => {
    const second = await startRabbitMQ({ port: PORT });
    assert.equal(second.reused, true);
    await second.stop(); // no-op for a reused handle
    assert.equal(await probeRabbitMQ(PORT), 'expected');
    await assert.rejects(second.kill(), /reused/);
  });

  it('refuses a port held by something that is not RabbitMQ', async () => {
    const net = await import('node:net');
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume(); // read the client's bytes so its close is noticed and srv.close() can finish
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    const port = PORT + 10;
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(startRabbitMQ({ port }), /in use by something that is not RabbitMQ/);
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  it('keeps a confirmed persistent message in a quorum queue across a restart', async () => {
    const { password } = needNode().credentials;
    let connection = await login(password);
    let channel = await connection.createConfirmChannel();
    await channel.assertQueue('infra-spec', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    channel.sendToQueue('infra-spec', Buffer.from('kept'), { persistent: true });
    await channel.waitForConfirms();
    connection.on('error', () => undefined);
    connection.on('close', () => undefined);

    // SIGTERM, not SIGKILL: RabbitMQ 3.10 keeps its quorum-queue registry in a DETS file it syncs
    // lazily, and a queue declared seconds before a SIGKILL may come back without a leader.
    await needNode().kill('SIGTERM');
    assert.equal(needNode().running, false);
    assert.equal(await isPortOpen(PORT), false);
    const t0 = Date.now();
    await needNode().start();
    console.log(`rabbitmq restarted in ${Date.now() - t0} ms`);

    // The queue's Raft member elects itself again after the restart; until then reads may time out.
    let kept: string | undefined;
    const deadline = Date.now() + 60_000;
    while (kept === undefined) {
      connection = await login(password);
      connection.on('error', () => undefined);
      try {
        channel = await connection.createConfirmChannel();
        const message = await channel.get('infra-spec', { noAck: true });
        assert.ok(message, 'the message survived');
        kept = message.content.toString();
        await channel.deleteQueue('infra-spec');
        await connection.close();
      } catch (error) {
        await connection.close().catch(() => undefined);
        if (error instanceof assert.AssertionError || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    assert.equal(kept, 'kept');
  });

  it('stops: AMQP, distribution and epmd ports are closed afterwards, and stop() is idempotent', async () => {
    await needNode().stop();
    await needNode().stop();
    for (const port of [PORT, PORT + 1, PORT + 2]) assert.equal(await isPortOpen(port), false, `port ${port}`);
  });
});
