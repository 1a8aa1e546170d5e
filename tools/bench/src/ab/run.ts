import { pacedLoad } from '../load/paced';
import { costByRole, stackCpuMsPerEvent } from '../report/cost';
import { measureStackRun, type BenchEnv, type BodyPool } from '../stack-run';
import { startBenchStack, type StackVariant } from '../stacks';
import { compareFigure, type Better, type FigureComparison } from './stats';

/** One side of an A/B bench: which built apps run (undefined: this tree's) and any extra app environment. */
export interface AbSide {
  readonly label: string;
  /** The git ref and commit, or a description of this tree. */
  readonly ref: string;
  readonly appRoot?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface AbPlan {
  readonly a: AbSide;
  readonly b: AbSide;
  /** Rounds of each side. */
  readonly rounds: number;
  /** Offered events/s of each round's measured run (open loop) and its length. */
  readonly rate: number;
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
}

export interface AbResult {
  readonly a: AbSide;
  readonly b: AbSide;
  readonly rate: number;
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
}

export const AB_METHOD =
  'relative difference of the medians, median(B) / median(A) − 1, with a 95 % percentile bootstrap interval (10,000 resamples of each side’s rounds, seeded); a verdict only when the interval excludes 0';

/**
 * The sides alternate in ABBA blocks (AB, BA, AB, …) rather than ABAB: a machine whose load drifts
 * during the run (other work starting or ending, Kafka's log and Valkey's memory growing) then
 * weighs on both sides alike, as each block's mean position is the same for A and B. Every run
 * starts its own stack (fresh processes, same Kafka and Valkey), warms it up, then offers `rate`
 * events/s open loop for `seconds`; counted events come from the scenario's total in Valkey.
 */
export async function runAb(env: BenchEnv, variant: StackVariant, plan: AbPlan, bodies: BodyPool, route: string): Promise<AbResult> {
  const rounds: AbRound[] = [];
  const blocks: string[] = [];
  // One unmeasured run first: a Kafka just started spends its first minute compiling (JIT) and
  // growing its log, which showed as one outlier round (+30 % stack CPU) of whichever side ran first.
  env.log(`A/B: warming the servers up with A's stack (${plan.rate}/s for ${plan.seconds} s, not measured)`);
  await startBenchStack(env, { ...variant, label: 'A/B warm-up (not measured)' }, async (stack) => {
    await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.rate, seconds: plan.seconds, body: bodies.at });
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
        const run = await measureStackRun(
          env,
          stack,
          `A/B ${side} round ${round}`,
          () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.rate, seconds: plan.seconds, body: bodies.at }),
          { offeredRate: plan.rate },
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
        });
        env.log(`A/B ${side} round ${round}: ${cpu.toFixed(3)} CPU-ms per counted event`);
      });
    }
  }
  return { ...plan, roundsPerSide: plan.rounds, order: blocks.join(' '), method: AB_METHOD, rounds, figures: abFigures(rounds, plan.seed), problems: abProblems(rounds) };
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
  ];
}

function abProblems(rounds: readonly AbRound[]): string[] {
  return rounds
    .filter((r) => r.lost > 0 || r.duplicates > 0 || r.notOffered > 0)
    .map((r) => `${r.side} round ${r.round}: lost=${r.lost} duplicates=${r.duplicates} not offered=${r.notOffered}`);
}
