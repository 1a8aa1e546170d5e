export const RELAY_OPTIONS = 'RELAY_OPTIONS';
/** The writers the relay calls (a WriterCaller): one group, or a fan-out to several. */
export const WRITER_CALLER = 'WRITER_CALLER';
/** Metadata key of a scenario controller: its scenario's name (for RelayCapacityGuard's metrics). */
export const SCENARIO_NAME = 'oleada:scenario';
/** Largest body of the internal batch route: up to BATCH_MAX_EVENTS events of a gateway. */
export const RELAY_BATCH_BODY_LIMIT = 16 * 1024 * 1024;
