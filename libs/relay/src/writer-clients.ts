import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER } from '@oleada/shared';
import type { WriterCaller } from './writer-fanout';

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

/** Codes after which the same call may safely go to another writer: the event id makes it idempotent. */
const RETRIABLE = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.ABORTED]);

/**
 * Long-lived channels to every target of `WRITER_TARGETS`. Calls rotate over the targets, and
 * each channel rotates over the addresses its target resolves to (every pod behind a headless
 * Service, or every address of an `ipv4:` list). A call refused by one writer is retried on the
 * next target within the same deadline.
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

  async call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown> {
    const deadline = Date.now() + this.deadlineMs;
    const attempts = Math.max(2, this.clients.length);
    let lastError: ServiceError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const client = this.clients[this.next++ % this.clients.length];
      try {
        return await this.unary(client, scenario, message, eventId, acceptedAt, deadline);
      } catch (error) {
        lastError = error as ServiceError;
        if (!RETRIABLE.has(lastError.code) || Date.now() >= deadline) break;
      }
    }
    throw lastError;
  }

  private unary(client: Client, scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number, deadline: number): Promise<unknown> {
    const method = scenario.grpc.service[scenario.grpc.method];
    const metadata = new Metadata();
    metadata.set(EVENT_ID_HEADER, eventId);
    metadata.set(ACCEPTED_AT_HEADER, String(acceptedAt));
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, message, metadata, { deadline }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
