import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { writerBatch } from '@oleada/contracts';
import { seededRandom, type AnyScenario } from '@oleada/scenarios';
import { uuidv7 } from '@oleada/shared';
import { Samples, summarize } from '../measure/latency';
import { tally, type LoadResult } from './result';

export interface WriteBatchLoadOptions {
  readonly scenario: AnyScenario;
  /** The writers' gRPC addresses (`127.0.0.1:port`); calls rotate over them as the relay's do. */
  readonly targets: readonly string[];
  /** Events per EventBatchService call. */
  readonly batchSize: number;
  /** Calls in flight at once, each sending the next when answered. */
  readonly concurrency: number;
  readonly seconds: number;
  /**
   * Events per second to offer (open loop: a call is due every batchSize / rate seconds, whether
   * or not earlier ones were answered, as long as fewer than `concurrency` are in flight). Without
   * it each call follows the previous answer (closed loop). A fixed rate keeps batch sizes, and so
   * the cost per event, comparable between runs on a machine whose free CPU changes.
   */
  readonly rate?: number;
}

const WRITE_BATCH = writerBatch.EventBatchServiceService.writeBatch;

/**
 * Closed-loop EventBatchService calls straight to the writers, as the relay makes them: the
 * writers, the broker and the consumer under load without the gateway, the relay and HTTP, so
 * their cost per event is measured apart from the REST hops and with a known batch size. Counts
 * are per event: an event is "accepted" when its outcome is OK (durable in the broker).
 */
export async function writeBatchLoad(options: WriteBatchLoadOptions): Promise<LoadResult> {
  const { scenario } = options;
  const random = seededRandom(20261203);
  const serialize = scenario.grpc.service[scenario.grpc.method].requestSerialize;
  // Payloads encoded once; every event still gets its own id.
  const payloads = Array.from({ length: 1000 }, () => serialize(scenario.toMessage(scenario.body.parse(scenario.sample(random)))));
  const clients = options.targets.map((target) => new Client(target, credentials.createInsecure()));
  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  let accepted = 0;
  let sent = 0;
  let next = 0;
  let payloadAt = 0;
  const started = performance.now();
  const until = started + options.seconds * 1000;
  let last = started;
  const call = (client: Client, request: writerBatch.WriteBatchRequest) =>
    new Promise<writerBatch.WriteBatchResponse | undefined>((resolve) => {
      client.makeUnaryRequest(WRITE_BATCH.path, WRITE_BATCH.requestSerialize, WRITE_BATCH.responseDeserialize, request, new Metadata(), { deadline: Date.now() + 10_000 }, (error, response) =>
        resolve(error ? undefined : response),
      );
    });
  let calls = 0;
  const worker = async () => {
    while (performance.now() < until) {
      if (options.rate) {
        const due = started + ((calls++ * options.batchSize) / options.rate) * 1000;
        if (due >= until) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const now = Date.now();
      const events = Array.from({ length: options.batchSize }, () => ({ eventId: uuidv7(), acceptedAt: now, payload: payloads[payloadAt++ % payloads.length], traceparent: '' }));
      const client = clients[next++ % clients.length];
      const began = performance.now();
      const response = await call(client, { scenario: scenario.name, events });
      last = performance.now();
      sent += events.length;
      if (!response) {
        for (let i = 0; i < events.length; i++) tally(statuses, 'error');
        continue;
      }
      for (const outcome of response.outcomes) {
        // 202 is what the gateway answers for an OK outcome: the report's tables count it as accepted.
        tally(statuses, outcome.code === GrpcStatus.OK ? 202 : `grpc ${GrpcStatus[outcome.code]}`);
        if (outcome.code === GrpcStatus.OK) {
          accepted++;
          latencies.push(last - began);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    for (const client of clients) client.close();
  }
  return { sent, accepted, statuses, dropped: 0, seconds: (last - started) / 1000, latency: summarize(latencies.values()) };
}
