import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { WorkerSpanExporter } from './worker-exporter';

interface Received {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** Finished spans named `names`, made by a provider of their own. */
async function spansNamed(...names: string[]): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('worker-exporter-spec');
  for (const name of names) tracer.startSpan(name, { attributes: { 'oleada.event_id': `id-${name}` } }).end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

const exported = (exporter: WorkerSpanExporter, spans: ReadableSpan[]) => new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

describe('WorkerSpanExporter (OTLP/HTTP protobuf sent from a worker thread)', () => {
  let server: Server;
  let base = '';
  const received: Received[] = [];
  let status = 200;

  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(status, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts the spans as one OTLP protobuf request with the OTEL_EXPORTER_OTLP_TRACES_HEADERS, and reports success', async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-oleada-spec=worker';
    const exporter = new WorkerSpanExporter(`${base}/v1/traces`);
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS;
    try {
      received.length = 0;
      status = 200;
      const result = await exported(exporter, await spansNamed('gateway-request', 'relay-batch'));
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.equal(received.length, 1);
      const [request] = received;
      assert.equal(request.url, '/v1/traces');
      assert.equal(request.headers['content-type'], 'application/x-protobuf');
      assert.equal(request.headers['x-oleada-spec'], 'worker', 'the headers variable, read where the request is sent');
      for (const text of ['gateway-request', 'relay-batch', 'id-gateway-request', 'worker-exporter-spec']) assert.ok(request.body.includes(text), `the request carries ${text}`);
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a refused export as failed, and forceFlush waits for every export handed over', async () => {
    const exporter = new WorkerSpanExporter(`${base}/v1/traces`);
    try {
      received.length = 0;
      status = 400;
      const results: ExportResult[] = [];
      const spans = await spansNamed('one');
      exporter.export(spans, (r) => results.push(r));
      exporter.export(spans, (r) => results.push(r));
      await exporter.forceFlush();
      assert.deepEqual(
        results.map((r) => r.code),
        [ExportResultCode.FAILED, ExportResultCode.FAILED],
      );
      assert.equal(received.length, 2, 'a 400 is not retried');
    } finally {
      status = 200;
      await exporter.shutdown();
    }
  });

  it('after shutdown the worker has ended and an export fails at once', async () => {
    const exporter = new WorkerSpanExporter(`${base}/v1/traces`);
    await exporter.shutdown();
    received.length = 0;
    const result = await exported(exporter, await spansNamed('late'));
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.equal(received.length, 0);
  });
});
