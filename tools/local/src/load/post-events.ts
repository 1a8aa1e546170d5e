import { Pool } from 'undici';

export interface PostedEvent {
  readonly index: number;
  readonly status: number;
  readonly id?: string;
  /** Milliseconds from send to answer. */
  readonly latencyMs: number;
}

export interface PostEventsOptions {
  readonly baseUrl: string;
  readonly path: string;
  readonly bodies: readonly unknown[];
  /** Requests in flight at once. @default 64 */
  readonly concurrency?: number;
  /** Extra headers for one request (e.g. an Idempotency-Key). */
  readonly headersFor?: (index: number) => Record<string, string> | undefined;
}

/** Posts every body once over a keep-alive pool, `concurrency` at a time, and reports each answer. */
export async function postEvents(options: PostEventsOptions): Promise<{ results: PostedEvent[]; seconds: number }> {
  const concurrency = options.concurrency ?? 64;
  const pool = new Pool(options.baseUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const results: PostedEvent[] = new Array(options.bodies.length);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < options.bodies.length; index = next++) {
      const sent = performance.now();
      try {
        const response = await pool.request({
          path: options.path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headersFor?.(index) },
          body: JSON.stringify(options.bodies[index]),
        });
        const text = await response.body.text();
        let id: string | undefined;
        try {
          id = (JSON.parse(text) as { id?: string }).id;
        } catch {
          id = undefined;
        }
        results[index] = { index, status: response.statusCode, id, latencyMs: performance.now() - sent };
      } catch {
        results[index] = { index, status: 0, latencyMs: performance.now() - sent };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { results, seconds };
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
