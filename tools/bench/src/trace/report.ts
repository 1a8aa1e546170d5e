import { formatNumber, table } from '../report/format';
import type { TimeSplitResult } from './section';
import { ratioText } from './store';

const pct = (share: number) => `${formatNumber(share * 100, 0)} %`;

/** "Where an event's time goes" in the bench report: per traced run, each hop's time and share. */
export function timeSplitSection(result: TimeSplitResult): string[] {
  const out = [
    "## Where an event's time goes",
    '',
    `From sampled traces: a stack of its own with tracing on (${ratioText(result.ratio)} of events, ${result.sampler}), exporting to a Jaeger the bench started on this machine; ` +
      "the bench's other figures run with tracing off. After each run the traces begun during it are read back from Jaeger's query API " +
      `(at most ${formatNumber(result.limit)}) and each event's time, gateway in → Valkey applied, is cut at the spans it crossed. ` +
      "A share is the hop's part of all the measured events' time together (the mean's split, not the p99's).",
    '',
  ];
  for (const run of result.runs) {
    const { split } = run;
    out.push(
      `### ${run.label}`,
      '',
      `${formatNumber(run.countedPerSecond)} events/s counted end to end; ${formatNumber(split.events)} events measured of ${formatNumber(run.traces)} traces read` +
        `${split.traces > split.events ? ' (the others lacked a hop: refused, or not exported in time)' : ''}` +
        `${split.overlapped ? `; for ${formatNumber(split.overlapped)} the consumer's batch began before the writer saw the broker's acknowledgement (0 in the broker, the overlap counted in the writer's hop)` : ''}.`,
      '',
      table(
        ['hop', 'from → to', 'mean ms', 'p50 ms', 'p99 ms', 'share'],
        [
          ...split.hops.map((h) => [h.hop, `${h.from} → ${h.to}`, formatNumber(h.meanMs, 1), formatNumber(h.p50Ms, 1), formatNumber(h.p99Ms, 1), pct(h.share)]),
          ['**the event**', 'gateway in → Valkey applied', formatNumber(split.total.meanMs, 1), formatNumber(split.total.p50Ms, 1), formatNumber(split.total.p99Ms, 1), '100 %'],
        ],
        [false, false, true, true, true, true],
      ),
      '',
    );
  }
  return out;
}
