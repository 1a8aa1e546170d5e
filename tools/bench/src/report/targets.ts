import { costByRole, stackCpuMsPerEvent } from './cost';
import { formatNumber } from './format';
import type { BenchReport, TargetCheck } from './model';
import { NODE_APPS } from '../measure/processes';

/** The targets of issue #15 (faster than a compiled Go chain of the same shape), on this machine kind. */
export const TARGETS = {
  /** Counted events/s at saturation (closed loop, `--connections`). */
  saturationRate: 5000,
  /** CPU the whole stack may spend per counted event at saturation. */
  cpuMsPerEvent: 0.35,
  /** Offered open-loop rate of the sustained run, every request sent, accepted and counted once. */
  sustainedRate: 5000,
  sustainedSeconds: 60,
  /** Gateway p99 at this offered rate (a sweep step). */
  p99Rate: 2500,
  p99Ms: 50,
  /** Highest RSS of any Node app under load. */
  rssMB: 150,
} as const;

/** Whether the targets were met by this run's figures (undefined: the run did not measure it). */
export function checkTargets(report: Pick<BenchReport, 'sweep' | 'sustained' | 'sustainedOffered' | 'writers' | 'brokers' | 'quick'>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const s = report.sustained;
  const o = report.sustainedOffered;
  // Saturation: the closed-loop run (64 connections by default), counted in Valkey.
  out.push({
    target: `Saturation ≥ ${formatNumber(TARGETS.saturationRate)} counted events/s, lost=0 duplicates=0`,
    measured: s
      ? `${formatNumber(s.endToEndRate)} counted events/s end to end over ${formatNumber(s.endToEndSeconds, 1)} s (${formatNumber(s.acceptedRate)} accepted/s, ${s.connections} connections, p99 ${formatNumber(s.load.latency.p99, 1)} ms), lost=${s.lost} duplicates=${s.duplicates}`
      : 'not measured',
    met: s ? s.endToEndRate >= TARGETS.saturationRate && s.lost === 0 && s.duplicates === 0 : undefined,
  });
  const cost = s && stackCpuMsPerEvent(s);
  out.push({
    target: `≤ ${TARGETS.cpuMsPerEvent} CPU-ms per counted event at saturation (apps + broker + Valkey)`,
    measured: cost !== undefined && s ? `${formatNumber(cost, 3)} CPU-ms per event at ${formatNumber(s.endToEndRate)} counted events/s (${[...costByRole(s.processes)].map(([role, ms]) => `${role} ${formatNumber(ms, 3)}`).join(', ')})` : 'not measured',
    met: cost !== undefined && s ? cost <= TARGETS.cpuMsPerEvent && s.lost === 0 && s.duplicates === 0 : undefined,
  });
  // Sustained: open loop at the target rate, met when every request due in the whole window was
  // sent and accepted (none left unsent, none refused) and counted exactly once.
  const sustained = `Sustained: ${formatNumber(TARGETS.sustainedRate)} events/s offered open loop for ${TARGETS.sustainedSeconds} s, every request sent, accepted and counted once`;
  if (o) {
    const offered = o.load.sent + o.load.dropped;
    const refused = o.load.sent - o.load.accepted;
    out.push({
      target: sustained,
      measured:
        `${formatNumber(o.offeredRate ?? 0)}/s offered for ${formatNumber(o.load.seconds, 1)} s: ${formatNumber(o.load.accepted)} of ${formatNumber(offered)} accepted (${formatNumber(o.acceptedRate)}/s` +
        `${o.load.dropped ? `, ${formatNumber(o.load.dropped)} not offered` : ''}${refused ? `, ${formatNumber(refused)} refused` : ''}), counted ${formatNumber(o.counted)}, ${formatNumber(o.endToEndRate)} events/s end to end over ${formatNumber(o.endToEndSeconds, 1)} s, p99 ${formatNumber(o.load.latency.p99, 1)} ms, lost=${o.lost} duplicates=${o.duplicates}`,
      met: (o.offeredRate ?? 0) >= TARGETS.sustainedRate && o.load.seconds >= TARGETS.sustainedSeconds && o.load.dropped === 0 && refused === 0 && o.lost === 0 && o.duplicates === 0,
    });
  } else {
    out.push({ target: sustained, measured: 'not measured', met: undefined });
  }
  const step = report.sweep.find((r) => r.offeredRate === TARGETS.p99Rate);
  out.push({
    target: `Gateway p99 ≤ ${TARGETS.p99Ms} ms at ${formatNumber(TARGETS.p99Rate)} events/s offered`,
    measured: step
      ? `p99 ${formatNumber(step.load.latency.p99, 1)} ms (p50 ${formatNumber(step.load.latency.p50, 1)} ms); ${formatNumber(step.acceptedRate)} of ${formatNumber(TARGETS.p99Rate)}/s accepted`
      : `no ${formatNumber(TARGETS.p99Rate)} events/s step in this run`,
    met: step ? step.load.latency.p99 <= TARGETS.p99Ms && step.load.dropped === 0 : undefined,
  });
  const runs = [...report.sweep, ...(s ? [s] : []), ...(o ? [o] : []), ...report.writers, ...report.brokers];
  const peaks = new Map<string, number>();
  for (const run of runs) for (const p of run.processes) if (NODE_APPS.test(p.name)) peaks.set(p.name, Math.max(peaks.get(p.name) ?? 0, p.rssMaxMiB));
  const worst = [...peaks].sort((a, b) => b[1] - a[1])[0];
  out.push({
    target: `Every Node app ≤ ${TARGETS.rssMB} MB RSS under load`,
    measured: worst ? `highest: ${worst[0]} ${formatNumber(worst[1])} MiB = ${formatNumber(worst[1] * 1.048576)} MB (peaks in MiB: ${[...peaks].map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ')})` : 'not measured',
    met: worst ? worst[1] * 1.048576 <= TARGETS.rssMB : undefined,
  });
  return out;
}
