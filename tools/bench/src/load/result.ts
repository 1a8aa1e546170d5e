import type { LatencySummary } from '../measure/latency';

/** What a load generator saw. */
export interface LoadResult {
  /** Requests answered (any status) plus transport errors. */
  readonly sent: number;
  /** 202 answers: events the system made durable. */
  readonly accepted: number;
  /** Answers by HTTP status; transport errors and timeouts under "error". */
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests the paced generator could not offer because too many were outstanding. */
  readonly dropped: number;
  /** From the first send to the last answer. */
  readonly seconds: number;
  /** Latency of accepted requests (paced: from the moment each was due, so queueing counts). */
  readonly latency: LatencySummary;
}

/** Counts one answer: an HTTP status, 'error', or another outcome's name. */
export function tally(statuses: Record<string, number>, status: number | string): void {
  const key = String(status);
  statuses[key] = (statuses[key] ?? 0) + 1;
}
