import { repoRoot } from '@oleada/local';
import type { BenchEnv, BodyPool } from '../stack-run';
import type { StackVariant } from '../stacks';
import { benchJaegerPort } from '../trace/options';
import { BENCH_SAMPLER, ratioText, storedTraces, tracingEnv, TRACING_OFF, withTraceStore } from '../trace/store';
import { AB_DEFAULT_RATE, abEnv } from './options';
import { runAb, type AbLoad, type AbPlan, type AbResult, type AbSide, type AbTracing } from './run';
import { prepareWorktree, resolveRef } from './worktree';

/** Traces counted per round of a traced A/B run: enough to tell 1 % from 100 % and to show every app's spans. */
const TRACES_COUNTED = 1000;

/**
 * The bench's `ab` section from its command line (see AB_OPTIONS): B is `--ab`'s ref (else this
 * tree), with `--ab-env`, `--ab-planted` and `--ab-tracing` if given; rounds at `--ab-rate`, or at saturation
 * with `--ab-saturate`.
 */
export async function runBenchAb(env: BenchEnv, variant: StackVariant, args: Record<string, unknown>, bodies: BodyPool, route: string): Promise<AbResult> {
  const ref = args.ab as string | undefined;
  const planted = args['ab-planted'] as number | undefined;
  const ratio = args['ab-tracing'] as number | undefined;
  const a: AbSide = { label: 'this tree', ref: repoRoot() };
  let b: AbSide = { label: 'this tree', ref: repoRoot() };
  if (ref !== undefined) {
    const commit = resolveRef(ref);
    if (!commit) throw new Error(`--ab: ${ref} names no commit`);
    b = { label: ref, ref: commit, appRoot: prepareWorktree(commit, env.log) };
  }
  const extra = abEnv(args['ab-env'] as string[] | undefined);
  if (Object.keys(extra).length > 0) b = { ...b, label: `${b.label} + ${Object.entries(extra).map(([name, value]) => `${name}=${value}`).join(' ')}`, env: { ...b.env, ...extra } };
  if (planted !== undefined) b = { ...b, label: `${b.label} + ${planted} µs planted per request`, env: { ...b.env, OLEADA_PLANTED_CPU_US: String(planted) } };
  const load: AbLoad = args['ab-saturate'] ? { kind: 'saturation', connections: Number(args.connections) } : { kind: 'rate', rate: Number(args['ab-rate'] ?? AB_DEFAULT_RATE) };
  const plan: AbPlan = { a, b, rounds: Number(args['ab-rounds']), load, seconds: Number(args['ab-seconds']), warmupSeconds: 5, seed: Number(args['ab-seed']) };
  if (ratio === undefined) return runAb(env, variant, plan, bodies, route);
  return withTraceStore(env, benchJaegerPort(args), async (jaeger, query) => {
    const traced: AbPlan = {
      ...plan,
      a: { ...a, label: `${a.label}, tracing off`, env: { ...a.env, ...TRACING_OFF } },
      b: { ...b, label: `${b.label} + tracing ${ratioText(ratio)}`, env: { ...b.env, ...tracingEnv(jaeger.otlpEndpoint, ratio) } },
    };
    const result = await runAb({ ...env, traceStorePid: jaeger.pid }, variant, traced, bodies, route);
    const rounds: Array<AbTracing['rounds'][number]> = [];
    for (const round of result.rounds) {
      const stored = await storedTraces(query, round.startedAt, round.endedAt, TRACES_COUNTED);
      rounds.push({ side: round.side, round: round.round, traces: stored.traces.length, capped: stored.capped, services: stored.services });
    }
    return { ...result, tracing: { ratio, sampler: BENCH_SAMPLER, store: `Jaeger all-in-one (in memory) on this machine, ${jaeger.otlpEndpoint}`, rounds, limit: TRACES_COUNTED } };
  });
}
