// What other projects use of @oleada/valkey-schema; the rest is this lib's own.
export { type Aggregate, aggregateKeys, type HashAggregate, meanFields, operationsFor } from './aggregates';
export { applyBatch, loadAggregationFunction, type PreparedEvent } from './apply';
export { FUNCTION_NAME, FUNCTION_SOURCE } from './function';
export { claimIdempotencyKey, type IdempotencyClaim } from './idempotency';
export { DEFAULT_NAMESPACE, DEFAULT_SEEN_TTL_SECONDS, epochMinute, ScenarioKeys } from './keys';
export { type AggregateSnapshot, readAggregates, readCounter, readHash } from './readers';
