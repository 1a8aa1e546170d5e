import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AnyScenario } from '@oleada/scenarios';
import { ErrorShapeException, type ErrorBody } from '@oleada/shared';
import type { AcceptedBatch, AcceptedEvent } from './event-input.pipe';
import { GatewayMetrics } from './gateway.metrics';
import { RelayForwarder, type ForwardResult } from './relay-forwarder';

function isAccepted(result: ForwardResult): boolean {
  return result.status === 202;
}

/** A batch answer when some of its events could not be made durable: each event's own status. */
export interface PartialBatchBody extends ErrorBody {
  readonly results: ReadonlyArray<{ readonly id: string; readonly status: number }>;
}

/**
 * Hands valid events to the relay and answers for them: 202 only once the relay reported the event
 * durable; its 422 as it is; anything else 503 with Retry-After (never a 2xx for an event that
 * could be lost). Closes the relay pool on shutdown.
 */
@Injectable()
export class GatewayService implements OnApplicationShutdown {
  constructor(
    private readonly forwarder: RelayForwarder,
    private readonly metrics: GatewayMetrics,
  ) {}

  async acceptOne(scenario: AnyScenario, { event, id }: AcceptedEvent): Promise<{ id: string }> {
    const { requests, events, latency } = this.metrics;
    const stop = latency.startTimer({ scenario: scenario.name, kind: 'single' });
    const result = await this.forwarder.forward(scenario, event, id, Date.now());
    stop();
    requests.inc({ scenario: scenario.name, kind: 'single', status: result.status === 202 || result.status === 422 ? result.status : 503 });
    if (isAccepted(result)) {
      events.inc({ scenario: scenario.name, outcome: 'accepted' });
      return { id };
    }
    if (result.status === 422) {
      events.inc({ scenario: scenario.name, outcome: 'invalid' });
      throw new ErrorShapeException(422, { ...(result.body as ErrorBody), id });
    }
    events.inc({ scenario: scenario.name, outcome: 'unavailable' });
    throw new ErrorShapeException(503, { error: 'unavailable', message: 'the event could not be made durable; retry with the same Idempotency-Key', id }, 1);
  }

  async acceptBatch(scenario: AnyScenario, { events: bodies, ids }: AcceptedBatch): Promise<{ ids: string[] }> {
    const { requests, events, latency } = this.metrics;
    const stop = latency.startTimer({ scenario: scenario.name, kind: 'batch' });
    const acceptedAt = Date.now();
    const results = await Promise.all(bodies.map((body, i) => this.forwarder.forward(scenario, body, ids[i], acceptedAt)));
    stop();
    const accepted = results.filter(isAccepted).length;
    events.inc({ scenario: scenario.name, outcome: 'accepted' }, accepted);
    events.inc({ scenario: scenario.name, outcome: 'unavailable' }, results.length - accepted);
    if (accepted === results.length) {
      requests.inc({ scenario: scenario.name, kind: 'batch', status: 202 });
      return { ids };
    }
    requests.inc({ scenario: scenario.name, kind: 'batch', status: 503 });
    throw new ErrorShapeException<PartialBatchBody>(
      503,
      {
        error: 'partially_accepted',
        message: `${accepted} of ${results.length} events were made durable; resend the others`,
        results: results.map((r, i) => ({ id: ids[i], status: isAccepted(r) ? 202 : 503 })),
      },
      1,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.forwarder.close();
  }
}
