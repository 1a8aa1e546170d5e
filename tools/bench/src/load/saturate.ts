import autocannon from 'autocannon';
import { Samples, summarize } from '../measure/latency';
import { tally, type LoadResult } from './result';

export interface SaturateOptions {
  readonly baseUrl: string;
  readonly path: string;
  /** Concurrent connections, each sending its next request as soon as the previous one is answered. */
  readonly connections: number;
  /** Run this long (requests still in flight at the end are not answered: their outcome is unknown)… */
  readonly seconds?: number;
  /** …or until this many requests were answered (every outcome known: use it to compare with what was counted). */
  readonly amount?: number;
  /** The next request body (JSON text). */
  readonly body: () => string;
}

interface RawLoad {
  readonly latencies: Samples;
  readonly statuses: Record<string, number>;
  accepted: number;
  first: number;
  last: number;
}

async function run(options: SaturateOptions, into: RawLoad): Promise<void> {
  let finish: (error: Error | null) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  const started = performance.now();
  const instance = autocannon(
    {
      url: options.baseUrl,
      connections: options.connections,
      pipelining: 1,
      ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
      timeout: 10,
      // autocannon notices that every connection is done only on its next sample tick (1 s by
      // default): a round of `amount` requests then idled up to a second after its last answer,
      // which cut the rate of rounds measured over 15 s into steps about 12 % apart.
      sampleInt: 10,
      requests: [
        {
          method: 'POST',
          path: options.path,
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({ ...request, body: options.body() }),
        },
      ],
    },
    (error) => finish(error),
  );
  into.first ||= started;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    into.last = performance.now();
    tally(into.statuses, statusCode);
    if (statusCode === 202) {
      into.accepted++;
      into.latencies.push(responseTime);
    }
  });
  instance.on('reqError', () => tally(into.statuses, 'error'));
  await finished;
}

function result(raw: RawLoad): LoadResult {
  const sent = Object.values(raw.statuses).reduce((s, n) => s + n, 0);
  return { sent, accepted: raw.accepted, statuses: raw.statuses, dropped: 0, seconds: ((raw.last || performance.now()) - raw.first) / 1000, latency: summarize(raw.latencies.values()) };
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, one request in flight
 * each. Throughput at this concurrency is the most the target sustains; latency is per answer.
 */
export async function saturate(options: SaturateOptions): Promise<LoadResult> {
  if (!options.seconds === !options.amount) throw new Error('give either seconds or amount');
  const raw: RawLoad = { latencies: new Samples(), statuses: {}, accepted: 0, first: 0, last: 0 };
  await run(options, raw);
  return result(raw);
}

/**
 * Closed-loop load for at least `seconds` in which every request's outcome is known: autocannon
 * runs in consecutive rounds of a fixed number of requests (each round ends only when all its
 * requests were answered), each sized from the rate of the one before to last about `roundSeconds`,
 * until `seconds` have passed.
 */
export async function saturateFor(options: Omit<SaturateOptions, 'amount'> & { readonly seconds: number; readonly roundSeconds?: number }): Promise<LoadResult> {
  const roundSeconds = options.roundSeconds ?? 5;
  const raw: RawLoad = { latencies: new Samples(), statuses: {}, accepted: 0, first: performance.now(), last: 0 };
  let rate = options.connections * 5;
  for (;;) {
    const elapsed = (performance.now() - raw.first) / 1000;
    if (elapsed >= options.seconds) break;
    const amount = Math.max(options.connections * 2, Math.round(rate * Math.min(roundSeconds, options.seconds - elapsed)));
    const before = { answered: Object.values(raw.statuses).reduce((s, n) => s + n, 0), at: performance.now() };
    await run({ ...options, seconds: undefined, amount }, raw);
    const answered = Object.values(raw.statuses).reduce((s, n) => s + n, 0) - before.answered;
    rate = answered / Math.max(0.001, (performance.now() - before.at) / 1000);
  }
  return result(raw);
}
