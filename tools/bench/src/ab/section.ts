import { repoRoot } from '@oleada/local';
import type { BenchEnv, BodyPool } from '../stack-run';
import type { StackVariant } from '../stacks';
import { runAb, type AbResult, type AbSide } from './run';
import { prepareWorktree, resolveRef } from './worktree';

/** The bench's `ab` section from its command line (see AB_OPTIONS): B is `--ab`'s ref (else this tree), with `--ab-planted` if given. */
export async function runBenchAb(env: BenchEnv, variant: StackVariant, args: Record<string, unknown>, bodies: BodyPool, route: string): Promise<AbResult> {
  const ref = args.ab as string | undefined;
  const planted = args['ab-planted'] as number | undefined;
  const a: AbSide = { label: 'this tree', ref: repoRoot() };
  let b: AbSide = { label: 'this tree', ref: repoRoot() };
  if (ref !== undefined) {
    const commit = resolveRef(ref);
    if (!commit) throw new Error(`--ab: ${ref} names no commit`);
    b = { label: ref, ref: commit, appRoot: prepareWorktree(commit, env.log) };
  }
  if (planted !== undefined) b = { ...b, label: `${b.label} + ${planted} µs planted per request`, env: { OLEADA_PLANTED_CPU_US: String(planted) } };
  return runAb(env, variant, { a, b, rounds: Number(args['ab-rounds']), rate: Number(args['ab-rate']), seconds: Number(args['ab-seconds']), warmupSeconds: 5, seed: Number(args['ab-seed']) }, bodies, route);
}
