/** A figure for the report: grouped thousands, `digits` decimals; `—` when there is none. */
export function formatNumber(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The p50, p95 and p99 of a latency summary (ms) as table cells. */
export function percentileCells(latency: { readonly p50: number; readonly p95: number; readonly p99: number }, digits: number): string[] {
  return [latency.p50, latency.p95, latency.p99].map((ms) => formatNumber(ms, digits));
}

/** A markdown table; numbers are right-aligned. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, numeric: readonly boolean[] = []): string {
  const align = header.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
