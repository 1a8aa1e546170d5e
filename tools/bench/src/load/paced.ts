import { Pool } from 'undici';
import { Samples, summarize } from '../measure/latency';
import { tally, type LoadResult } from './result';

export interface PacedLoadOptions {
  readonly baseUrl: string;
  readonly path: string;
  /** Offered requests per second. */
  readonly rate: number;
  readonly seconds: number;
  /** The n-th request body (JSON text). */
  readonly body: (index: number) => string;
  /** Keep-alive connections. @default 256 */
  readonly connections?: number;
  /** Most requests outstanding at once; beyond it a due request is dropped, not queued. @default 2 × connections */
  readonly maxOutstanding?: number;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * Open-loop load at a constant offered rate: request n is due at n / rate seconds, whether or not
 * earlier ones were answered, and its latency is measured from when it was due, so a slow server
 * cannot slow the generator down and hide its own queueing (coordinated omission). Waits for every
 * request it sent, so the count of 202s is exact.
 */
export async function pacedLoad(options: PacedLoadOptions): Promise<LoadResult> {
  const connections = options.connections ?? 256;
  const maxOutstanding = options.maxOutstanding ?? connections * 2;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const pool = new Pool(options.baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const statuses: Record<string, number> = {};
  const latencies = new Samples();
  let accepted = 0;
  let dropped = 0;
  let outstanding = 0;
  let lastAnswer = 0;
  let allAnswered: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (allAnswered = resolve));
  let sendingDone = false;

  const send = (index: number, due: number) => {
    outstanding++;
    pool
      .request({ path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: options.body(index) })
      .then(
        async (response) => {
          await response.body.dump();
          const now = performance.now();
          lastAnswer = now;
          tally(statuses, response.statusCode);
          if (response.statusCode === 202) {
            accepted++;
            latencies.push(now - due);
          }
        },
        () => {
          lastAnswer = performance.now();
          tally(statuses, 'error');
        },
      )
      .finally(() => {
        outstanding--;
        if (sendingDone && outstanding === 0) allAnswered();
      });
  };

  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - started) / interval) + 1);
      for (; next < due; next++) {
        if (outstanding >= maxOutstanding) dropped++;
        else send(next, started + next * interval);
      }
      if (next < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  sendingDone = true;
  if (outstanding > 0) await drained;
  await pool.close();
  return {
    sent: total - dropped,
    accepted,
    statuses,
    dropped,
    seconds: ((lastAnswer || performance.now()) - started) / 1000,
    latency: summarize(latencies.values()),
  };
}
