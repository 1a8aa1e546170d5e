import { METRIC_NAMES, type Counter, type Gauge, type Histogram, type Metrics } from '@oleada/shared';

/** The gateway's metrics (names and labels in METRIC_NAMES), registered once on the process's Metrics. */
export class GatewayMetrics {
  /** Answers by scenario, kind (`single`, `batch`; the admission's own: `rate_limited`, `shed`, `body_timeout`) and status. */
  readonly requests: Counter<'scenario' | 'kind' | 'status'>;
  /** Events by outcome: `accepted`, `invalid`, `unavailable`. */
  readonly events: Counter<'scenario' | 'outcome'>;
  /** From the handler until the chain answered. */
  readonly latency: Histogram<'scenario' | 'kind'>;
  readonly inFlight: Gauge;
  /** Keyed requests forwarded while Valkey could not bind their key (the consumer's dedup still counts them once). */
  readonly idempotencyUnchecked: Counter<'scenario'>;

  constructor(metrics: Metrics) {
    this.requests = metrics.counter(METRIC_NAMES.gatewayRequests, 'Gateway requests by scenario and status', ['scenario', 'kind', 'status']);
    this.events = metrics.counter(METRIC_NAMES.gatewayEvents, 'Events by outcome', ['scenario', 'outcome']);
    this.latency = metrics.histogram(METRIC_NAMES.gatewayRequestDuration, 'Gateway request latency, until the chain answered', ['scenario', 'kind']);
    this.inFlight = metrics.gauge(METRIC_NAMES.gatewayInFlight, 'Requests in flight');
    this.idempotencyUnchecked = metrics.counter(METRIC_NAMES.gatewayIdempotencyUnchecked, 'Keyed requests forwarded without binding the key', ['scenario']);
  }
}
