/** Names under which the event id and scenario travel on every hop. */
export const EVENT_ID_HEADER = 'x-event-id';
export const SCENARIO_HEADER = 'x-scenario';
/** Set by the client to make a retry of the same request count once. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Dead-letter records carry why they were rejected. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
export const DEAD_LETTER_SOURCE_HEADER = 'x-dead-letter-source';
/** When the gateway accepted the event (Unix ms); travels with it to pick time buckets. */
export const ACCEPTED_AT_HEADER = 'x-accepted-at';
