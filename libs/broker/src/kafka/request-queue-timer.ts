import { kafkajsInternal } from './kafkajs-internals';

/** The parts of kafkajs's (unexported) RequestQueue, one per broker connection, this fix touches. */
interface RequestQueueInternals {
  readonly pending: readonly unknown[];
  readonly throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own wait before it looks again at requests held back by the in-flight limit. */
const CHECK_PENDING_INTERVAL_MS = 10;

/**
 * A check of the queue only while requests wait in it: when the broker's throttle ends, or, when
 * they wait for an in-flight slot, after kafkajs's interval (a response checks the queue anyway).
 * With nothing waiting nothing is armed: `push` arms it for a request that has to wait, and every
 * response and every timed-out request checks the queue.
 */
function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_INTERVAL_MS,
  );
}

/** The RequestQueue class of the kafkajs this library imports. */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  return kafkajsInternal('./src/network/requestQueue') as { prototype: RequestQueueInternals };
}

/**
 * Stops kafkajs 2.2.4 (its last release) from waking the process every millisecond on every broker
 * connection. After each response its RequestQueue re-arms a timer whether or not a request waits,
 * with `throttledUntil - Date.now()` as the delay: negative while the broker does not throttle, so
 * Node waits 1 ms (Node 24 prints TimeoutNegativeWarning for it), and the timer's own check arms the
 * next. Upstream: issues #1556, #1704 and #1751, fixes proposed and never released. Measured on the
 * local stack at rest: each writer's main thread woke ~900 times a second and used 2.5 % of a core,
 * the gateway's (no Kafka client) 0.5 %.
 *
 * Replaces the method on the class's prototype, once per process; every Kafka client made after
 * (or before: the method is looked up at each call) gets it. Throws when kafkajs no longer has
 * that class where 2.2.4 has it, so an upgrade cannot drop the fix unnoticed.
 */
export function fixKafkajsIdleTimer(): void {
  const { prototype } = kafkajsRequestQueue();
  if (typeof prototype.scheduleCheckPendingRequests !== 'function' || typeof prototype.checkPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests/checkPendingRequests: review libs/broker/src/kafka/request-queue-timer.ts for this kafkajs version');
  }
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}
