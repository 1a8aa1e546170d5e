import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Body, Controller, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startHttpApp } from './bootstrap';
import { Health } from './health';
import { createLogger } from './logger';

const ANSWER_AFTER_MS = 800;

@Controller()
class SlowController {
  @Post('slow')
  async slow(@Body() body: unknown): Promise<{ echo: unknown }> {
    await new Promise((resolve) => setTimeout(resolve, ANSWER_AFTER_MS));
    return { echo: body };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('startHttpApp request deadline', () => {
  let app: NestFastifyApplication;
  let port: number;

  before(async () => {
    app = await startHttpApp(
      { module: SlowModule },
      { logger: createLogger('bootstrap-test', 'silent'), health: new Health(), port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1000, requestTimeoutMs: 300 },
    );
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  after(() => app.close());

  it('closes the socket of a client that never finishes sending its request', { timeout: 10_000 }, async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('POST /slow HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"');
    await closed; // else the test fails on its timeout
    assert.match(answer, /^HTTP\/1\.1 408/, 'Node answers 408 before closing');
  });

  it('lets an answer take longer than the deadline once the request is in', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(response.status, 201);
    assert.deepEqual(await response.json(), { echo: { a: 1 } });
  });
});
