import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { AnyScenario } from '@oleada/scenarios';
import type { WriterClients } from './writer-clients';

/** What the relay calls to make an event durable: one group of writers, or several at once. */
export interface WriterCaller {
  call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown>;
  close(): void;
}

/** Codes that blame the event, not the path: they win over transient faults when groups disagree. */
const CALLER_ERRORS = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.OUT_OF_RANGE]);

/**
 * Fans every event out to one writer of each group (e.g. the Kafka writers and the RabbitMQ
 * writers, so both brokers can be compared on the same traffic). The call succeeds only when every
 * group acknowledged; otherwise it fails with one group's error and the client retries the whole
 * event with the same id, which the groups that already had it deduplicate downstream.
 */
export class WriterFanout implements WriterCaller {
  constructor(private readonly groups: readonly WriterClients[]) {
    if (groups.length === 0) throw new Error('at least one writer group is required');
  }

  async call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown> {
    const results = await Promise.allSettled(this.groups.map((group) => group.call(scenario, message, eventId, acceptedAt)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ServiceError);
    if (failures.length === 0) return (results[0] as PromiseFulfilledResult<unknown>).value;
    throw failures.find((error) => CALLER_ERRORS.has(error.code)) ?? failures[0];
  }

  close(): void {
    for (const group of this.groups) group.close();
  }
}
