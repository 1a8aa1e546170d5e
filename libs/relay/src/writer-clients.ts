import { Client, connectivityState as ConnectivityState, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { writerBatch } from '@oleada/contracts';
import type { AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER } from '@oleada/shared';
import { ATTR, EventSpans, SpanKind, TRACEPARENT, traceparentOf } from '@oleada/telemetry';
import type { BatchEvent, EventOutcome, WriterCaller } from './writer-caller';

/** Channel settings: per-call round-robin over every resolved address, fast reconnects, keep-alive. */
const CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.dns_min_time_between_resolutions_ms': 5000,
};

/** Codes after which the same event may safely go to another writer: its id makes it idempotent. */
const RETRIABLE = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.ABORTED]);

const WRITE_BATCH = writerBatch.EventBatchServiceService.writeBatch;

/** The RPC's span name and attributes (OpenTelemetry RPC conventions: the full method name). */
const WRITE_BATCH_SPAN = WRITE_BATCH.path.slice(1);
const WRITE_BATCH_ATTRIBUTES = { [ATTR.rpcSystem]: 'grpc', [ATTR.rpcMethod]: WRITE_BATCH_SPAN };

/**
 * Long-lived channels to every target of `WRITER_TARGETS`. Calls rotate over the targets, and
 * each channel rotates over the addresses its target resolves to (every pod behind a headless
 * Service, or every address of an `ipv4:` list). An event refused by one writer is retried on the
 * next target (never the same one twice in a row) within the same deadline; connected targets are
 * tried first, and no attempt may use up the whole deadline while another target is left.
 */
export class WriterClients implements WriterCaller {
  private readonly clients: Client[];
  private next = 0;

  constructor(
    targets: readonly string[],
    private readonly deadlineMs: number,
  ) {
    if (targets.length === 0) throw new Error('at least one writer target is required');
    this.clients = targets.map((target) => new Client(target, credentials.createInsecure(), CHANNEL_OPTIONS));
  }

  /**
   * The clients one call tries, in order: from the next in rotation on, at least two attempts;
   * targets whose channel is connected go first, so a target that cannot pick a writer right now
   * (a pod just replaced: its old address gone, the new one not yet resolved) is tried last, not
   * waited for. Asking for the state also wakes an idle channel, so a target left out comes back.
   */
  private rotation(): Client[] {
    const first = this.next++;
    if (this.next >= this.clients.length) this.next = 0;
    const attempts = Math.max(2, this.clients.length);
    const order = Array.from({ length: attempts }, (_, i) => this.clients[(first + i) % this.clients.length]);
    const ready = order.map((client) => client.getChannel().getConnectivityState(true) === ConnectivityState.READY);
    return [...order.filter((_, i) => ready[i]), ...order.filter((_, i) => !ready[i])];
  }

  /**
   * The deadline of attempt `index` of `clients`: an equal share of the time left, the last one
   * all of it, so a writer that holds a call (or a target that cannot pick one) leaves the next
   * attempt time to succeed. An attempt that ran out of its share is retried on the next target
   * like a refused one: the event's id makes the retry idempotent.
   */
  private static attemptDeadline(deadline: number, clients: readonly Client[], index: number): number {
    // Only the same target left (a single target tried twice): a second call there would not be faster.
    if (clients.slice(index + 1).every((next) => next === clients[index])) return deadline;
    return Date.now() + (deadline - Date.now()) / (clients.length - index);
  }

  /** Whether an event that ended with `code` may go to the next target before `deadline`. */
  private static retriable(code: GrpcStatus, deadline: number): boolean {
    return RETRIABLE.has(code) || (code === GrpcStatus.DEADLINE_EXCEEDED && Date.now() < deadline);
  }

  async call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown> {
    const deadline = Date.now() + this.deadlineMs;
    const clients = this.rotation();
    let lastError: ServiceError | undefined;
    for (const [index, client] of clients.entries()) {
      try {
        return await this.unary(client, scenario, message, eventId, acceptedAt, WriterClients.attemptDeadline(deadline, clients, index));
      } catch (error) {
        lastError = error as ServiceError;
        if (!WriterClients.retriable(lastError.code, deadline) || Date.now() >= deadline) break;
      }
    }
    throw lastError;
  }

  /**
   * Sends the events in one EventBatchService call; the events a writer could not make durable
   * (and only those) go to the next writer, until each has an outcome or the deadline passed.
   * Never rejects: a failed call becomes the outcome of each event it carried.
   */
  async callBatch(scenario: AnyScenario, events: readonly BatchEvent[]): Promise<EventOutcome[]> {
    const deadline = Date.now() + this.deadlineMs;
    const serialize = scenario.grpc.service[scenario.grpc.method].requestSerialize;
    const payloads = events.map((event) => serialize(event.message));
    const outcomes: EventOutcome[] = new Array<EventOutcome>(events.length);
    let pending = events.map((_, i) => i);
    const clients = this.rotation();
    for (const [index, client] of clients.entries()) {
      // One client span per event and attempt; a retry is always kept (the events' traces show it).
      const calls = EventSpans.start(WRITE_BATCH_SPAN, SpanKind.CLIENT, pending.map((i) => events[i]), { ...WRITE_BATCH_ATTRIBUTES, [ATTR.scenario]: scenario.name, [ATTR.batchSize]: pending.length, [ATTR.attempt]: index + 1 }, { force: index > 0 });
      const request: writerBatch.WriteBatchRequest = {
        scenario: scenario.name,
        events: pending.map((i, k) => ({ eventId: events[i].eventId, acceptedAt: events[i].acceptedAt, payload: payloads[i], traceparent: calls.traceparent(k) ?? '' })),
      };
      try {
        const response = await this.batchUnary(client, request, WriterClients.attemptDeadline(deadline, clients, index));
        pending.forEach((i, k) => {
          const outcome = response.outcomes[k];
          outcomes[i] = outcome ? { code: outcome.code, detail: outcome.detail } : { code: GrpcStatus.INTERNAL, detail: 'the writer gave no outcome' };
        });
      } catch (error) {
        const { code, details } = error as ServiceError;
        for (const i of pending) outcomes[i] = { code: typeof code === 'number' ? code : GrpcStatus.UNKNOWN, detail: details ?? 'writer call failed' };
      }
      pending.forEach((i, k) => calls.end(k, outcomes[i].code === GrpcStatus.OK ? undefined : GrpcStatus[outcomes[i].code], { [ATTR.rpcStatus]: GrpcStatus[outcomes[i].code] }));
      pending = pending.filter((i) => WriterClients.retriable(outcomes[i].code, deadline));
      if (pending.length === 0 || Date.now() >= deadline) break;
    }
    return outcomes;
  }

  private unary(client: Client, scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number, deadline: number): Promise<unknown> {
    const method = scenario.grpc.service[scenario.grpc.method];
    const metadata = new Metadata();
    metadata.set(EVENT_ID_HEADER, eventId);
    metadata.set(ACCEPTED_AT_HEADER, String(acceptedAt));
    const traceparent = traceparentOf();
    if (traceparent) metadata.set(TRACEPARENT, traceparent);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, message, metadata, { deadline }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  private batchUnary(client: Client, request: writerBatch.WriteBatchRequest, deadline: number): Promise<writerBatch.WriteBatchResponse> {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(WRITE_BATCH.path, WRITE_BATCH.requestSerialize, WRITE_BATCH.responseDeserialize, request, new Metadata(), { deadline }, (error, response) =>
        error || !response ? reject(error ?? new Error('empty response')) : resolve(response),
      );
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
