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
    assert.deepEqual(parseRaw(answer).body, { error: 'request_timeout', message: 'the request did not arrive in time', field: '(request)' });
    assert.deepEqual(JSON.parse(answer.split('\r\n\r\n')[1]), { error: 'request_timeout', message: 'the request did not arrive in time', field: '(request)' });
  });

  it('lets an answer take longer than the deadline once the request is in', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(response.status, 201);
    assert.deepEqual(await response.json(), { echo: { a: 1 } });
  });
});

/** Sends raw bytes and reads the whole answer until the server closes the socket. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

/** Status and JSON body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; body: Record<string, unknown> } {
  const [head, body] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: JSON.parse(body) as Record<string, unknown> };
}

describe('startHttpApp error shape', () => {
  let app: NestFastifyApplication;
  let port: number;

  before(async () => {
    app = await startHttpApp({ module: SlowModule }, { logger: createLogger('bootstrap-test', 'silent'), health: new Health(), port: 0, host: '127.0.0.1', shutdownTimeoutMs: 1000 });
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  after(() => app.close());

  const shaped = (body: Record<string, unknown>) => {
    assert.deepEqual(Object.keys(body).sort(), ['error', 'field', 'message'], JSON.stringify(body));
    assert.equal(body.statusCode, undefined);
  };

  it('answers an unknown path 404 in the one error shape', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/nowhere`, { method: 'POST' });
    assert.equal(response.status, 404);
    const body = (await response.json()) as Record<string, unknown>;
    shaped(body);
    assert.equal(body.error, 'not_found');
    assert.equal(body.field, '(path)');
  });

  it('answers a known path with a wrong method 405 with Allow', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/slow`, { method: 'GET' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    const body = (await response.json()) as Record<string, unknown>;
    shaped(body);
    assert.equal(body.error, 'method_not_allowed');
    assert.equal(body.field, '(method)');
  });

  it('answers malformed HTTP framing 400 in the one error shape, then closes', async () => {
    const { status, body } = parseRaw(await rawExchange(port, 'POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n'));
    assert.equal(status, 400);
    shaped(body);
    assert.equal(body.error, 'bad_request');
  });

  it('answers oversized headers 431 in the one error shape, then closes', async () => {
    const { status, body } = parseRaw(await rawExchange(port, `GET /slow HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.equal(status, 431);
    shaped(body);
    assert.equal(body.field, '(headers)');
  });
});
