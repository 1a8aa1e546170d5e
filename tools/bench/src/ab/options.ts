import { opt } from '@oleada/local';
import { resolveRef } from './worktree';

/** The bench's A/B options (`npm run bench -- --ab <ref>`), beside its others in cli/bench.ts. */
export const AB_OPTIONS = {
  ab: opt.string('A/B: run this git ref\'s stack (built in .cache/ab/<commit>) as B against this tree\'s as A', { valueName: 'REF' }),
  'ab-planted': opt.int("A/B: µs of gateway CPU planted per request in B (OLEADA_PLANTED_CPU_US); alone, B is this tree's stack with it", { min: 1, max: 100_000, valueName: 'µs' }),
  'ab-rounds': opt.int('A/B: rounds of each side', { default: 5, min: 2, max: 50 }),
  'ab-rate': opt.int('A/B: offered events/s of each round (open loop)', { default: 1000, min: 1 }),
  'ab-seconds': opt.int('A/B: seconds of each round', { default: 15, min: 1 }),
  'ab-seed': opt.int("A/B: seed of the bootstrap's resampling", { default: 20261205, min: 0 }),
};

/** What is wrong with the A/B part of a command line, or undefined. */
export function checkAbOptions(values: { ab?: string; 'ab-planted'?: number; only?: string }): string | undefined {
  if (values.ab !== undefined && resolveRef(values.ab) === undefined) return `--ab: ${values.ab} names no commit of this repository`;
  const onlyAb = values.only?.split(',').includes('ab');
  if (onlyAb && values.ab === undefined && values['ab-planted'] === undefined) return '--only ab needs --ab <ref> or --ab-planted <µs>';
  return undefined;
}

/** Whether the command line asks for an A/B comparison. */
export function wantsAb(values: { ab?: string; 'ab-planted'?: number }): boolean {
  return values.ab !== undefined || values['ab-planted'] !== undefined;
}
