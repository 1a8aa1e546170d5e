import type { LocalStack } from '@oleada/local';
import { pacedLoad } from '../load/paced';
import { saturateFor } from '../load/saturate';
import { costByRole, stackCpuMsPerEvent, traceStoreCpuMsPerEvent } from '../report/cost';
import { NODE_APPS } from '../measure/processes';
import { measureStackRun, timed, type BenchEnv, type BodyPool } from '../stack-run';
import { startBenchStack, type StackVariant } from '../stacks';
import { compareFigure, levelsOf, median, type Better, type FigureComparison } from './stats';

/** One side of an A/B bench: which built apps run (undefined: this tree's) and any extra app environment. */
export interface AbSide {
  readonly label: string;
  /** The git ref and commit, or a description of this tree. */
  readonly ref: string;
  readonly appRoot?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** What each round offers the gateway: `rate` events/s open loop, or closed loop on `connections` (saturation). */
export type AbLoad = { readonly kind: 'rate'; readonly rate: number } | { readonly kind: 'saturation'; readonly connections: number };

export interface AbPlan {
  readonly a: AbSide;
  readonly b: AbSide;
  /** Rounds of each side. */
  readonly rounds: number;
  /** The load of each round's measured run, and its length. */
  readonly load: AbLoad;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly seed: number;
}

/** What one round of one side measured. */
export interface AbRound {
  readonly side: 'A' | 'B';
  readonly round: number;
  readonly cpuMsPerEvent: number;
  readonly cpuMsPerEventByRole: Readonly<Record<string, number>>;
  readonly countedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly accepted: number;
  /** Requests the generator could not offer (too many outstanding): the stack did not keep up with the rate. */
  readonly notOffered: number;
  readonly lost: number;
  readonly duplicates: number;
  /** The machine's 1-minute load average when the round began. */
  readonly loadAverage: number;
  /** When the measured load began and ended, epoch milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The trace store's CPU-ms per counted event, when one ran beside the stack (not in the stack's figure). */
  readonly traceStoreCpuMsPerEvent?: number;
  /** The highest RSS any Node app reached in the round, MiB. */
  readonly appRssPeakMiB?: number;
  /** Freshness (the gateway accepting an event → Valkey applying it, the consumer's histogram): p50 and p99, ms. */
  readonly freshnessP50Ms?: number;
  readonly freshnessP99Ms?: number;
}

/** What the trace store got from an A/B run whose B traced (--ab-tracing). */
export interface AbTracing {
  /** B's sampling ratio (parent-based); A's apps had tracing off. */
  readonly ratio: number;
  readonly sampler: string;
  readonly store: string;
  /** Per round: traces begun at the gateway during it (at most `limit` counted), and which apps' spans they had. */
  readonly rounds: ReadonlyArray<{ readonly side: 'A' | 'B'; readonly round: number; readonly traces: number; readonly capped: boolean; readonly services: readonly string[] }>;
  readonly limit: number;
}

export interface AbResult {
  readonly a: AbSide;
  readonly b: AbSide;
  readonly load: AbLoad;
  readonly seconds: number;
  readonly roundsPerSide: number;
  /** The order the rounds ran in, e.g. "AB BA AB BA AB". */
  readonly order: string;
  readonly method: string;
  readonly seed: number;
  readonly rounds: readonly AbRound[];
  readonly figures: readonly FigureComparison[];
  /** Rounds that lost or duplicated events, or could not offer the whole rate: their figures are not comparable. */
  readonly problems: readonly string[];
  readonly tracing?: AbTracing;
  /** The throughput levels the rounds landed on (see abLevels); one level when they all agree. */
  readonly levels?: readonly AbLevel[];
}

export const AB_METHOD =
  'relative difference of the medians, median(B) / median(A) − 1, with a 95 % percentile bootstrap interval (10,000 resamples of each side’s rounds, seeded); a verdict only when the interval excludes 0 and the medians differ by 1 % or more';

/**
 * The sides alternate in ABBA blocks (AB, BA, AB, …) rather than ABAB: a machine whose load drifts
 * during the run (other work starting or ending, Kafka's log and Valkey's memory growing) then
 * weighs on both sides alike, as each block's mean position is the same for A and B. Every run
 * starts its own stack (fresh processes, same Kafka and Valkey), warms it up, then runs its load
 * for `seconds` (an offered rate open loop, or saturation closed loop); counted events come from
 * the scenario's total in Valkey.
 */
export async function runAb(env: BenchEnv, variant: StackVariant, plan: AbPlan, bodies: BodyPool, route: string): Promise<AbResult> {
  const rounds: AbRound[] = [];
  const blocks: string[] = [];
  // One unmeasured run first: a Kafka just started spends its first minute compiling (JIT) and
  // growing its log, which showed as one outlier round (+30 % stack CPU) of whichever side ran first.
  const drive = (stack: LocalStack) => () =>
    plan.load.kind === 'rate'
      ? pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.load.rate, seconds: plan.seconds, body: bodies.at })
      : saturateFor({ baseUrl: stack.gatewayUrl, path: route, connections: plan.load.connections, seconds: plan.seconds, body: bodies.take });
  env.log(`A/B: warming the servers up with A's stack (${abLoadText(plan.load)} for ${plan.seconds} s, not measured)`);
  await startBenchStack(env, { ...variant, label: 'A/B warm-up (not measured)', options: { ...variant.options, env: { ...variant.options?.env, ...plan.a.env } } }, async (stack) => {
    await drive(stack)();
  });
  for (let round = 1; round <= plan.rounds; round++) {
    const order: Array<'A' | 'B'> = round % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
    blocks.push(order.join(''));
    for (const side of order) {
      const which = side === 'A' ? plan.a : plan.b;
      env.log(`A/B round ${round}/${plan.rounds}, ${side}: ${which.label}`);
      const options = { ...variant.options, ...(which.appRoot ? { appRoot: which.appRoot } : {}), env: { ...variant.options?.env, ...which.env } };
      await startBenchStack(env, { ...variant, label: `${side} (${which.label})`, options }, async (stack) => {
        await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
        const window = { from: 0, to: 0 };
        const run = await measureStackRun(
          env,
          stack,
          `A/B ${side} round ${round}`,
          timed(drive(stack), window),
          plan.load.kind === 'rate' ? { offeredRate: plan.load.rate } : { connections: plan.load.connections },
        );
        const cpu = stackCpuMsPerEvent(run) ?? Number.NaN;
        rounds.push({
          side,
          round,
          cpuMsPerEvent: cpu,
          cpuMsPerEventByRole: Object.fromEntries(costByRole(run.processes)),
          countedPerSecond: run.endToEndRate,
          p50Ms: run.load.latency.p50,
          p99Ms: run.load.latency.p99,
          accepted: run.load.accepted,
          notOffered: run.load.dropped,
          lost: run.lost,
          duplicates: run.duplicates,
          loadAverage: run.loadAverage[0],
          startedAt: window.from,
          endedAt: window.to,
          traceStoreCpuMsPerEvent: traceStoreCpuMsPerEvent(run),
          appRssPeakMiB: Math.max(...run.processes.filter((p) => NODE_APPS.test(p.name)).map((p) => p.rssMaxMiB)),
          freshnessP50Ms: run.hops.freshness?.p50Ms,
          freshnessP99Ms: run.hops.freshness?.p99Ms,
        });
        env.log(`A/B ${side} round ${round}: ${cpu.toFixed(3)} CPU-ms per counted event`);
      });
    }
  }
  return { ...plan, roundsPerSide: plan.rounds, order: blocks.join(' '), method: AB_METHOD, rounds, figures: abFigures(rounds, plan.seed), levels: abLevels(rounds, plan.seed), problems: abProblems(rounds) };
}

/** "1000 events/s offered open loop", "saturation (64 connections, closed loop)". */
export function abLoadText(load: AbLoad): string {
  return load.kind === 'rate' ? `${load.rate} events/s offered open loop` : `saturation (${load.connections} connections, closed loop)`;
}

/** The compared figures: the stack's CPU per event (the primary one), each role's, counted/s and latency. */
export function abFigures(rounds: readonly AbRound[], seed: number): FigureComparison[] {
  const valuesOf = (side: 'A' | 'B', pick: (r: AbRound) => number | undefined) =>
    rounds.filter((r) => r.side === side).map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const figure = (name: string, unit: string, better: Better, pick: (r: AbRound) => number | undefined) => {
    const a = valuesOf('A', pick);
    const b = valuesOf('B', pick);
    return a.length >= 2 && b.length >= 2 ? [compareFigure(name, unit, better, a, b, seed)] : [];
  };
  const roles = [...new Set(rounds.flatMap((r) => Object.keys(r.cpuMsPerEventByRole)))];
  return [
    ...figure('stack CPU per counted event', 'CPU-ms', 'lower', (r) => r.cpuMsPerEvent),
    ...roles.flatMap((role) => figure(`${role} CPU per counted event`, 'CPU-ms', 'lower', (r) => r.cpuMsPerEventByRole[role])),
    ...figure('counted events/s', 'events/s', 'higher', (r) => r.countedPerSecond),
    ...figure('latency p50', 'ms', 'lower', (r) => r.p50Ms),
    ...figure('latency p99', 'ms', 'lower', (r) => r.p99Ms),
    ...figure('freshness p50', 'ms', 'lower', (r) => r.freshnessP50Ms),
    ...figure('freshness p99', 'ms', 'lower', (r) => r.freshnessP99Ms),
    ...figure("largest app's RSS peak", 'MiB', 'lower', (r) => r.appRssPeakMiB),
  ];
}

/** One throughput level of an A/B run: the rounds of each side that landed on it, and their CPU compared there. */
export interface AbLevel {
  /** The median counted/s of the level's rounds. */
  readonly countedPerSecond: number;
  readonly roundsA: number;
  readonly roundsB: number;
  /** Stack CPU per counted event, B against A, among this level's rounds only (when each side has two or more). */
  readonly cpu?: FigureComparison;
}

/**
 * The rounds grouped by the throughput they landed on (levelsOf their counted/s), each level's
 * stack CPU per event compared between the sides. A closed loop at saturation lands on one of a
 * few levels at random, and a lower level has cost more CPU per event by itself:
 * when one side lands low more often, the overall figures mix its own cost with that. Within a
 * level the two sides meet under the same batching.
 */
export function abLevels(rounds: readonly AbRound[], seed: number): AbLevel[] {
  return levelsOf(rounds.map((r) => r.countedPerSecond)).map((indices) => {
    const members = indices.map((i) => rounds[i]);
    const cpuOf = (side: 'A' | 'B') => members.filter((r) => r.side === side).map((r) => r.cpuMsPerEvent);
    const a = cpuOf('A');
    const b = cpuOf('B');
    const cpu = a.length >= 2 && b.length >= 2 ? compareFigure('stack CPU per counted event', 'CPU-ms', 'lower', a, b, seed) : undefined;
    return { countedPerSecond: median(members.map((r) => r.countedPerSecond)), roundsA: a.length, roundsB: b.length, cpu };
  });
}

function abProblems(rounds: readonly AbRound[]): string[] {
  return rounds
    .filter((r) => r.lost > 0 || r.duplicates > 0 || r.notOffered > 0)
    .map((r) => `${r.side} round ${r.round}: lost=${r.lost} duplicates=${r.duplicates} not offered=${r.notOffered}`);
}
