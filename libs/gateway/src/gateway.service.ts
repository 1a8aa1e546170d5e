import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AnyScenario } from '@oleada/scenarios';
import { ErrorShapeException, IDEMPOTENCY_KEY_HEADER, LOGGER, type ErrorBody, type Logger } from '@oleada/shared';
import type { AcceptedBatch, AcceptedEvent, IdempotentRequest } from './event-input.pipe';
import { GatewayMetrics } from './gateway.metrics';
import { IdempotencyStore } from './idempotency-store';
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
 * could be lost). A request with an Idempotency-Key first claims the key (IdempotencyStore): the
 * same body again is forwarded again under the same ids (the consumer counts it once) and gets the
 * first answer, 202 with the same ids; another body gets 422 naming the header and is never
 * forwarded. Closes the relay pool and the store on shutdown.
 */
@Injectable()
export class GatewayService implements OnApplicationShutdown {
  constructor(
    private readonly forwarder: RelayForwarder,
    private readonly metrics: GatewayMetrics,
    private readonly idempotency: IdempotencyStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Whether the last claim failed: the outage is logged once, when it starts, not per request. */
  private unchecked = false;

  /**
   * Claims a request's Idempotency-Key for its body; throws 422 when the key was first used with
   * another body. When Valkey cannot answer, the request goes on unchecked (counted in
   * `oleada_gateway_idempotency_unchecked_total`): Valkey sits behind Kafka in the design, so its
   * loss must not refuse events at the entry. What is given up meanwhile is only the 422 for a
   * changed body: its ids are still derived from the key, so the consumer counts the key's events
   * once whatever body comes.
   */
  private async claim(scenario: AnyScenario, kind: 'single' | 'batch', request: IdempotentRequest | undefined, events: number): Promise<void> {
    if (!request) return;
    let claim;
    try {
      claim = await this.idempotency.claim(scenario.name, request.requestId, request.fingerprint);
    } catch (error) {
      this.metrics.idempotencyUnchecked.inc({ scenario: scenario.name });
      if (!this.unchecked) this.logger.warn({ err: error, eventId: request.requestId, scenario: scenario.name }, 'Idempotency-Keys are forwarded unchecked until Valkey answers');
      this.unchecked = true;
      return;
    }
    if (this.unchecked) this.logger.info({ scenario: scenario.name }, 'Idempotency-Keys are checked again');
    this.unchecked = false;
    if (claim !== 'different') return;
    this.metrics.requests.inc({ scenario: scenario.name, kind, status: 422 });
    this.metrics.events.inc({ scenario: scenario.name, outcome: 'invalid' }, events);
    throw new ErrorShapeException(422, {
      error: 'idempotency_key_reused',
      message: 'this Idempotency-Key was first used with a different body; send a new key with a new request',
      field: IDEMPOTENCY_KEY_HEADER,
      ...(kind === 'single' ? { id: request.requestId } : {}),
    });
  }

  async acceptOne(scenario: AnyScenario, { event, id, idempotency, trace }: AcceptedEvent): Promise<{ id: string }> {
    const { requests, events, latency } = this.metrics;
    const stop = latency.startTimer({ scenario: scenario.name, kind: 'single' });
    trace?.noteEvents([id]);
    await this.claim(scenario, 'single', idempotency, 1);
    const result = await this.forwarder.forward(scenario, event, id, Date.now(), trace?.traceparent);
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

  async acceptBatch(scenario: AnyScenario, { events: bodies, ids, idempotency, trace }: AcceptedBatch): Promise<{ ids: string[] }> {
    const { requests, events, latency } = this.metrics;
    const stop = latency.startTimer({ scenario: scenario.name, kind: 'batch' });
    trace?.noteEvents(ids);
    await this.claim(scenario, 'batch', idempotency, bodies.length);
    const acceptedAt = Date.now();
    const traceparent = trace?.traceparent;
    const results = await Promise.all(bodies.map((body, i) => this.forwarder.forward(scenario, body, ids[i], acceptedAt, traceparent)));
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
    this.idempotency.close();
  }
}
