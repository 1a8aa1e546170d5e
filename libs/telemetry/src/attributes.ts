import { ATTR_DB_OPERATION_BATCH_SIZE, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';

/**
 * The span attributes Oleada sets: OpenTelemetry's semantic conventions for HTTP, RPC, database
 * and messaging, and the project's own under `oleada.`. Stable names come from the
 * semantic-conventions package; the messaging ones are still experimental there, so they are
 * spelled here as its documentation advises (experimental names may change between versions).
 */
export const ATTR = {
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpRoute: ATTR_HTTP_ROUTE,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  urlPath: ATTR_URL_PATH,
  errorType: ATTR_ERROR_TYPE,
  rpcSystem: ATTR_RPC_SYSTEM_NAME,
  rpcMethod: ATTR_RPC_METHOD,
  rpcStatus: ATTR_RPC_STATUS_CODE,
  dbSystem: ATTR_DB_SYSTEM_NAME,
  dbOperation: ATTR_DB_OPERATION_NAME,
  dbBatchSize: ATTR_DB_OPERATION_BATCH_SIZE,
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingBatchCount: 'messaging.batch.message_count',
  messagingMessageId: 'messaging.message.id',
  /** The event's id (a UUID), on every span that handles one event: what `npm run trace` looks up. */
  eventId: 'oleada.event.id',
  /** The events of a batch request (the gateway's `…/events:batch`). */
  eventIds: 'oleada.event.ids',
  scenario: 'oleada.scenario',
  /** Events handled together with this one (a relay or writer batch). */
  batchSize: 'oleada.batch.size',
  /** 1 for a first attempt, 2 for the first retry on another writer, … */
  attempt: 'oleada.attempt',
  /** Seconds from the gateway accepting the event to Valkey applying it. */
  freshness: 'oleada.freshness_s',
} as const;

/** `db.system.name` of Valkey: the conventions list Redis, whose protocol Valkey speaks. */
export const DB_SYSTEM_VALKEY = 'redis';
