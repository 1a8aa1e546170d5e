/**
 * The name of every Prometheus metric Oleada's apps export. The apps register their metrics under
 * these names and the pipeline dashboard and alert rules (libs/dashboards) query them, so they cannot drift.
 */
export const METRIC_NAMES = {
  /** counter {scenario, kind, status}: gateway requests by HTTP status. */
  gatewayRequests: 'oleada_gateway_requests_total',
  /** counter {scenario, outcome}: events the gateway accepted, rejected as invalid, or could not deliver. */
  gatewayEvents: 'oleada_gateway_events_total',
  /** histogram {scenario, kind}: gateway request latency, until the chain answered. */
  gatewayRequestDuration: 'oleada_gateway_request_duration_seconds',
  /** gauge: requests in flight in the gateway. */
  gatewayInFlight: 'oleada_gateway_in_flight',
  /** counter {scenario}: keyed requests forwarded without binding their Idempotency-Key (Valkey did not answer). */
  gatewayIdempotencyUnchecked: 'oleada_gateway_idempotency_unchecked_total',
  /** counter {scenario, status}: events the relay handled, by the HTTP status each got (alone or in a batch). */
  relayRequests: 'oleada_relay_requests_total',
  /** histogram {scenario, code}: relay → writer gRPC call latency (one event, or one batch: code = its worst outcome). */
  relayGrpcDuration: 'oleada_relay_grpc_duration_seconds',
  /** counter {scenario, outcome}: events handled by a writer. */
  writerEvents: 'oleada_writer_events_total',
  /** histogram {scenario, outcome}: from RPC arrival to broker acknowledgement. */
  writerRpcDuration: 'oleada_writer_rpc_duration_seconds',
  /** histogram: records per produce request. */
  produceBatchRecords: 'oleada_produce_batch_records',
  /** histogram {outcome}: produce request round trip until acks=all. */
  produceDuration: 'oleada_produce_duration_seconds',
  /** counter {scenario, outcome}: records handled by the consumer (decoded, applied, duplicate, dead_letter). */
  consumerEvents: 'oleada_consumer_events_total',
  /** gauge {topic, partition}: records behind the end of the partition. */
  consumerLag: 'oleada_consumer_lag',
  /** histogram: one batch applied to Valkey. */
  valkeyApplyDuration: 'oleada_valkey_apply_duration_seconds',
  /** histogram {scenario}: freshness, from the gateway accepting an event to Valkey applying it. */
  consumerFreshness: 'oleada_event_freshness_seconds',
  /** gauge {dependency}: 1 while the process's readiness check of that dependency (valkey, broker) is up, else 0. */
  dependencyUp: 'oleada_dependency_up',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
