import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { AnyScenario } from '@oleada/scenarios';
import type { BatchEvent, EventOutcome, WriterCaller } from './writer-caller';

/** Codes that blame the event, not the path: they win over transient faults when groups disagree. */
const CALLER_ERRORS = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.OUT_OF_RANGE]);

/** The failure to report when several paths failed: the event's own fault first. */
function worst<T extends { readonly code: GrpcStatus }>(failures: readonly T[]): T {
  return failures.find((failure) => CALLER_ERRORS.has(failure.code)) ?? failures[0];
}

/**
 * Fans every event out to one writer of each group (e.g. the Kafka writers and the RabbitMQ
 * writers, so both brokers can be compared on the same traffic). An event succeeds only when every
 * group acknowledged it; otherwise it fails with one group's error and the client retries it with
 * the same id, which the groups that already had it deduplicate downstream.
 */
export class WriterFanout implements WriterCaller {
  constructor(private readonly groups: readonly WriterCaller[]) {
    if (groups.length === 0) throw new Error('at least one writer group is required');
  }

  async call(scenario: AnyScenario, message: unknown, eventId: string, acceptedAt: number): Promise<unknown> {
    const results = await Promise.allSettled(this.groups.map((group) => group.call(scenario, message, eventId, acceptedAt)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ServiceError);
    if (failures.length === 0) return (results[0] as PromiseFulfilledResult<unknown>).value;
    throw worst(failures);
  }

  async callBatch(scenario: AnyScenario, events: readonly BatchEvent[]): Promise<EventOutcome[]> {
    const perGroup = await Promise.all(this.groups.map((group) => group.callBatch(scenario, events)));
    return events.map((_, i) => {
      const failures = perGroup.map((outcomes) => outcomes[i]).filter((outcome) => outcome.code !== GrpcStatus.OK);
      return failures.length === 0 ? perGroup[0][i] : worst(failures);
    });
  }

  close(): void {
    for (const group of this.groups) group.close();
  }
}
