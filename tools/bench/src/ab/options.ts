import { opt } from '@oleada/local';
import { resolveRef } from './worktree';

/** Offered events/s of an A/B round when neither --ab-rate nor --ab-saturate is given. */
export const AB_DEFAULT_RATE = 1000;

/** The bench's A/B options (`npm run bench -- --ab <ref>`), beside its others in cli/bench.ts. */
export const AB_OPTIONS = {
  ab: opt.string('A/B: run this git ref\'s stack (built in .cache/ab/<commit>) as B against this tree\'s as A', { valueName: 'REF' }),
  'ab-planted': opt.int("A/B: µs of gateway CPU planted per request in B (OLEADA_PLANTED_CPU_US); alone, B is this tree's stack with it", { min: 1, max: 100_000, valueName: 'µs' }),
  'ab-tracing': opt.number(
    "A/B: B traces this ratio of events (0 to 1, parent-based) to a Jaeger the bench starts (--jaeger-port), A has tracing off; alone, B is this tree's stack with it",
    { min: 0, valueName: 'RATIO' },
  ),
  'ab-env': opt.list("A/B: a variable of B's apps' environment, NAME=VALUE (a setting judged without a branch); alone, B is this tree's stack with it", { valueName: 'NAME=VALUE' }),
  'ab-rounds': opt.int('A/B: rounds of each side', { default: 5, min: 2, max: 50 }),
  'ab-rate': opt.int('A/B: offered events/s of each round (open loop)', { min: 1, defaultText: String(AB_DEFAULT_RATE) }),
  'ab-saturate': opt.flag('A/B: each round closed loop at saturation (--connections) instead of an offered rate'),
  'ab-seconds': opt.int('A/B: seconds of each round', { default: 15, min: 1 }),
  'ab-seed': opt.int("A/B: seed of the bootstrap's resampling", { default: 20261205, min: 0 }),
};

interface AbValues {
  ab?: string;
  'ab-planted'?: number;
  'ab-tracing'?: number;
  'ab-env'?: string[];
  'ab-rate'?: number;
  'ab-saturate'?: boolean;
  only?: string;
}

/** What is wrong with the A/B part of a command line, or undefined. */
export function checkAbOptions(values: AbValues): string | undefined {
  if (values.ab !== undefined && resolveRef(values.ab) === undefined) return `--ab: ${values.ab} names no commit of this repository`;
  if (values['ab-tracing'] !== undefined && values['ab-tracing'] > 1) return `--ab-tracing: a ratio of events from 0 to 1 (0.01 is 1 %), got ${values['ab-tracing']}`;
  if (values['ab-saturate'] && values['ab-rate'] !== undefined) return '--ab-saturate and --ab-rate: a round runs either at saturation or at an offered rate, not both';
  const badEnv = values['ab-env']?.find((entry) => !ENV_ENTRY.test(entry));
  if (badEnv !== undefined) return `--ab-env: NAME=VALUE with NAME in capitals, digits and _ (MALLOC_ARENA_MAX=2), got "${badEnv}"`;
  const onlyAb = values.only?.split(',').includes('ab');
  if (onlyAb && !wantsAb(values)) return '--only ab needs --ab <ref>, --ab-planted <µs>, --ab-tracing <ratio> or --ab-env <NAME=VALUE>';
  return undefined;
}

/** Whether the command line asks for an A/B comparison. */
export function wantsAb(values: AbValues): boolean {
  return values.ab !== undefined || values['ab-planted'] !== undefined || values['ab-tracing'] !== undefined || values['ab-env'] !== undefined;
}

const ENV_ENTRY = /^[A-Z_][A-Z0-9_]*=/;

/** `--ab-env`'s entries as an environment (a later entry of the same name wins). */
export function abEnv(entries: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}
