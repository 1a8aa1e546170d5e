import { Pool } from 'undici';

/** One HTTP request of one event. `status` 0 means the connection failed (no answer). */
export interface Attempt {
  readonly event: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
}

/** What happened to one event. */
export interface EventOutcome {
  readonly key: string;
  /** The id of the 202 answer; undefined when never accepted. */
  id?: string;
  attempts: number;
  /** The final non-retriable status (a 4xx other than 429), if any. */
  rejected?: number;
  gaveUp?: boolean;
  /** Two 202 answers of this event carried different ids (an idempotency bug). */
  idConflict?: boolean;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly path: string;
  /** Most events to start. */
  readonly events: number;
  /** The JSON body of event `i`. */
  readonly body: (i: number) => unknown;
  /** The Idempotency-Key of event `i`: every retry of the event sends the same one. */
  readonly key: (i: number) => string;
  /** New events started per second (retries come on top). */
  readonly eventsPerSecond?: number;
  /**
   * Requests per second, retries included (an open loop: it keeps sending whatever the answers).
   * Due retries go first; new events fill the rest. Overrides `eventsPerSecond`.
   */
  readonly requestsPerSecond?: number;
  /** New events are started only this long (ms); retries continue until every event is settled. */
  readonly durationMs?: number;
  /** New events stop when this is aborted (as when `durationMs` has passed). */
  readonly stop?: AbortSignal;
  /** Requests in flight at once. @default 64 */
  readonly maxOutstanding?: number;
  /** An event still not accepted this long after its first send is given up. @default 120000 */
  readonly giveUpAfterMs?: number;
  /** Longest backoff between two retries of an event. @default 1000 */
  readonly maxBackoffMs?: number;
}

export interface LoadReport {
  readonly events: EventOutcome[];
  readonly attempts: Attempt[];
  /** performance.now() when the first request was sent and when the last event settled. */
  readonly startedAt: number;
  readonly endedAt: number;
}

const RETRIABLE = (status: number) => status === 0 || status === 429 || status >= 500;

/**
 * The client the fault tests use, behaving as a real client should: every event carries its own
 * Idempotency-Key, and a 503/429/5xx or a failed connection is retried with the same key, after
 * Retry-After when the server gave one, else an exponential backoff with jitter, until 202.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const maxOutstanding = options.maxOutstanding ?? 64;
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  const maxBackoffMs = options.maxBackoffMs ?? 1000;
  const pool = new Pool(options.baseUrl, {
    connections: maxOutstanding,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    connectTimeout: 5000,
  });
  const events: EventOutcome[] = [];
  const firstSent: number[] = [];
  const attempts: Attempt[] = [];
  const due: number[] = [];
  let outstanding = 0;
  let sleeping = 0;
  const startedAt = performance.now();
  let last = startedAt;
  let credit = 0;

  const send = (i: number): void => {
    outstanding++;
    const event = events[i];
    event.attempts++;
    const sentAt = performance.now();
    firstSent[i] ??= sentAt;
    pool
      .request({
        path: options.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': event.key },
        body: JSON.stringify(options.body(i)),
      })
      .then(
        async (response) => {
          const text = await response.body.text();
          let id: string | undefined;
          if (response.statusCode === 202) {
            try {
              id = (JSON.parse(text) as { id?: string }).id;
            } catch {
              id = undefined;
            }
          }
          const retryAfter = Number(response.headers['retry-after']);
          return { status: response.statusCode, id, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined };
        },
        () => ({ status: 0, id: undefined, retryAfterMs: undefined }),
      )
      .then(({ status, id, retryAfterMs }) => {
        const answeredAt = performance.now();
        attempts.push({ event: i, sentAt, answeredAt, status });
        outstanding--;
        if (status === 202) {
          if (event.id !== undefined && event.id !== id) event.idConflict = true;
          event.id = id;
          return;
        }
        if (!RETRIABLE(status)) {
          event.rejected = status;
          return;
        }
        if (answeredAt - firstSent[i] > giveUpAfterMs) {
          event.gaveUp = true;
          return;
        }
        const backoff = retryAfterMs ?? Math.min(maxBackoffMs, 50 * 2 ** Math.min(event.attempts - 1, 10));
        sleeping++;
        setTimeout(() => {
          sleeping--;
          due.push(i);
        }, backoff * (0.5 + Math.random() / 2));
      });
  };

  const start = (): number => {
    const i = events.length;
    events.push({ key: options.key(i), attempts: 0 });
    return i;
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const generating =
        events.length < options.events && (options.durationMs === undefined || now - startedAt < options.durationMs) && options.stop?.aborted !== true;
      const rate = options.requestsPerSecond ?? options.eventsPerSecond;
      // Credit for at most 50 ms: a stalled client does not catch up with a burst.
      if (rate !== undefined) credit = Math.min(credit + (rate * (now - last)) / 1000, rate * 0.05 + 1);
      last = now;
      const paceRetries = options.requestsPerSecond !== undefined;
      while (due.length > 0 && outstanding < maxOutstanding && (!paceRetries || credit >= 1)) {
        if (paceRetries) credit--;
        send(due.shift() as number);
      }
      while (generating && events.length < options.events && outstanding < maxOutstanding && (rate === undefined || credit >= 1)) {
        if (rate !== undefined) credit--;
        send(start());
      }
      if (!generating && outstanding === 0 && sleeping === 0 && due.length === 0) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await pool.close();
  return { events, attempts, startedAt, endedAt: performance.now() };
}

/** Counts of the answers: by status, plus the totals the reliability table shows. */
export function summarize(report: LoadReport) {
  const byStatus: Record<string, number> = {};
  for (const a of report.attempts) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const ids = new Set(report.events.flatMap((e) => (e.id === undefined ? [] : [e.id])));
  const count = (predicate: (status: number) => boolean) => report.attempts.filter((a) => predicate(a.status)).length;
  return {
    sent: report.events.length,
    accepted: ids.size,
    acceptedIds: [...ids],
    requests: report.attempts.length,
    byStatus,
    status503: count((s) => s === 503),
    status429: count((s) => s === 429),
    otherServerErrors: count((s) => s >= 500 && s !== 503),
    connectionErrors: count((s) => s === 0),
    rejected: report.events.filter((e) => e.rejected !== undefined).length,
    gaveUp: report.events.filter((e) => e.gaveUp).length,
    idConflicts: report.events.filter((e) => e.idConflict).length,
  };
}
