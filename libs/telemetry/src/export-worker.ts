import { parentPort, workerData } from 'node:worker_threads';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ExportRequest, ExportReply } from './worker-exporter';

/**
 * The sending half of WorkerSpanExporter, on a thread of its own: it posts the spans the app
 * already serialized with OpenTelemetry's own OTLP/HTTP transport (the OTEL_EXPORTER_OTLP_* headers,
 * timeout, compression and retries it reads), and answers each request with its outcome.
 */
interface Serialized {
  readonly bytes: Uint8Array;
  readonly spans: number;
}

const { url } = workerData as { url: string };
const exporter = new OTLPExporterBase<Serialized>(
  createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    { serializeRequest: (request) => request.bytes, deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data) },
    'otlp_http_span_exporter',
    { name: 'span', countItems: (request) => request.spans },
    undefined,
  ),
);

parentPort?.on('message', (message: ExportRequest | 'shutdown') => {
  if (message === 'shutdown') {
    void exporter.shutdown().finally(() => parentPort?.close());
    return;
  }
  exporter.export({ bytes: message.bytes, spans: message.spans }, (result) => {
    const reply: ExportReply = { id: message.id, ok: result.code === 0, error: result.error?.message };
    parentPort?.postMessage(reply);
  });
});
