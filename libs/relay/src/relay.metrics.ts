import { METRIC_NAMES, type Counter, type Histogram, type Metrics } from '@oleada/shared';

/** The relay's metrics (names and labels in METRIC_NAMES), registered once on the process's Metrics. */
export class RelayMetrics {
  /** Events answered, by scenario and HTTP status (a batch counts each of its events). */
  readonly requests: Counter<'scenario' | 'status'>;
  /** relay → writer gRPC call latency, by gRPC code (a batch call: its worst). */
  readonly grpcLatency: Histogram<'scenario' | 'code'>;

  constructor(metrics: Metrics) {
    this.requests = metrics.counter(METRIC_NAMES.relayRequests, 'Relay requests by outcome', ['scenario', 'status']);
    this.grpcLatency = metrics.histogram(METRIC_NAMES.relayGrpcDuration, 'relay → writer gRPC call latency', ['scenario', 'code']);
  }
}
