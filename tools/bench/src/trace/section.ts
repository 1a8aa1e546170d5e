import { pacedLoad } from '../load/paced';
import { saturateFor } from '../load/saturate';
import type { LoadResult } from '../load/result';
import { measureStackRun, timed, type BenchEnv, type BodyPool } from '../stack-run';
import { startBenchStack, type StackVariant } from '../stacks';
import { BENCH_SAMPLER, ratioText, settledTraces, tracingEnv, withTraceStore } from './store';
import { timeSplit, type TimeSplit } from './time-split';

/** Traces read per run: a sample large enough for a p99, small enough for the store to answer at once. */
export const TRACES_READ = 2000;

export interface TimeSplitPlan {
  /** Sampling ratio of the traced stack (parent-based). */
  readonly ratio: number;
  readonly jaegerPort: number;
  /** The offered rate of the open-loop run (250/s), and the connections of the saturation run. */
  readonly rate: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** One traced run and where its events' time went. */
export interface TimeSplitRun {
  readonly label: string;
  readonly offeredRate?: number;
  readonly connections?: number;
  /** Events Valkey counted, per second end to end. */
  readonly counted: number;
  readonly countedPerSecond: number;
  /** Traces begun at the gateway during the run that the store returned (at most TRACES_READ). */
  readonly traces: number;
  readonly split: TimeSplit;
}

export interface TimeSplitResult {
  readonly ratio: number;
  readonly sampler: string;
  readonly limit: number;
  readonly runs: readonly TimeSplitRun[];
}

/**
 * The traced stack exports its spans every second: settledTraces polls every 2 s and stops at the
 * first poll that found nothing new, which the default 5 s between exports would fool.
 */
const EXPORT_DELAY_MS = 1000;

/**
 * "Where an event's time goes": one stack of `variant` with tracing on at `plan.ratio`, exporting
 * to a Jaeger started for it, runs `plan.rate` events/s open loop, then saturation closed loop;
 * after each run the sampled traces begun during it are read back from Jaeger's query API and cut
 * into hops (time-split.ts). The bench's other sections run with tracing off.
 */
export async function runTimeSplit(env: BenchEnv, variant: StackVariant, plan: TimeSplitPlan, bodies: BodyPool, route: string): Promise<TimeSplitResult> {
  return withTraceStore(env, plan.jaegerPort, async (jaeger, query) => {
    const runs: TimeSplitRun[] = [];
    const traced: StackVariant = { ...variant, label: `${variant.label}, tracing ${ratioText(plan.ratio)}`, options: { ...variant.options, env: { ...variant.options?.env, ...tracingEnv(jaeger.otlpEndpoint, plan.ratio), OTEL_BSP_SCHEDULE_DELAY: String(EXPORT_DELAY_MS) } } };
    await startBenchStack(env, traced, async (stack) => {
      await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
      const loads: ReadonlyArray<{ label: string; extra: { offeredRate?: number; connections?: number }; drive: () => Promise<LoadResult> }> = [
        {
          label: `traced, ${plan.rate}/s offered`,
          extra: { offeredRate: plan.rate },
          drive: () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.rate, seconds: plan.seconds, body: bodies.at }),
        },
        {
          label: `traced, saturation (${plan.connections} connections)`,
          extra: { connections: plan.connections },
          drive: () => saturateFor({ baseUrl: stack.gatewayUrl, path: route, connections: plan.connections, seconds: plan.seconds, body: bodies.take }),
        },
      ];
      for (const load of loads) {
        const window = { from: 0, to: 0 };
        const run = await measureStackRun(env, stack, load.label, timed(load.drive, window), load.extra);
        const stored = await settledTraces(query, window.from, window.to, TRACES_READ, (s) => timeSplit(s.traces).events);
        const split = timeSplit(stored.traces);
        env.log(`${load.label}: ${split.events} events of ${stored.traces.length} traces cut into hops; ${split.hops.map((h) => `${h.key} ${(h.share * 100).toFixed(0)} %`).join(', ')}`);
        runs.push({ label: load.label, ...load.extra, counted: run.counted, countedPerSecond: run.endToEndRate, traces: stored.traces.length, split });
      }
    });
    return { ratio: plan.ratio, sampler: BENCH_SAMPLER, limit: TRACES_READ, runs };
  });
}
