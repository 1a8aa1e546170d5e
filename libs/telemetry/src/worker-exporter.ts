import { Worker } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** One export handed to the worker: the OTLP protobuf request and how many spans it holds. */
export interface ExportRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly spans: number;
}

export interface ExportReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * An OTLP/HTTP (protobuf) span exporter whose sending runs on a worker thread. The app serializes
 * each batch (code it runs for nothing else) and hands the bytes over; the HTTP client, its sockets
 * and the retries live in the worker's own V8 isolate. Sent from the app's thread, an export every
 * few seconds cost the stack ~8 % of its CPU per event at saturation, far more than the export
 * itself: the request ran through Node's HTTP and stream code that the app's hot path runs too.
 */
export class WorkerSpanExporter implements SpanExporter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private nextId = 0;
  private drained: Array<() => void> = [];
  private stopped = false;

  constructor(url: string) {
    this.worker = new Worker(require.resolve('./export-worker'), { workerData: { url } });
    // The worker never keeps the process alive: shutdown() ends it.
    this.worker.unref();
    this.worker.on('message', (reply: ExportReply) => this.settle(reply.id, reply.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(reply.error ?? 'export failed') }));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the span export worker ended')));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter shut down') });
    const bytes = ProtobufTraceSerializer.serializeRequest(spans);
    if (bytes === undefined) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
    const id = this.nextId++;
    this.pending.set(id, resultCallback);
    const request: ExportRequest = { id, bytes, spans: spans.length };
    // The buffer moves to the worker when the bytes are all of it; a view into a larger one is copied.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    this.worker.postMessage(request, whole ? [bytes.buffer as ArrayBuffer] : []);
  }

  /** Resolves once every export handed over so far has its outcome. */
  forceFlush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.forceFlush();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('shutdown');
    await exited;
  }

  private settle(id: number, result: ExportResult): void {
    const callback = this.pending.get(id);
    if (callback === undefined) return;
    this.pending.delete(id);
    callback(result);
    if (this.pending.size === 0) {
      const waiting = this.drained;
      this.drained = [];
      waiting.forEach((resolve) => resolve());
    }
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { code: ExportResultCode.FAILED, error });
  }
}
