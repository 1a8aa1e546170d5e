import { z } from 'zod';

/**
 * REST form of a proto enum whose zero value means "unspecified": one of `names`, or its number
 * (1-based, in the order of `names`). Anything else fails with a message listing both.
 */
export function enumBody<const Names extends readonly [string, ...string[]]>(names: Names) {
  return z.union([z.enum(names), z.number().int().min(1).max(names.length)], {
    error: `must be one of ${names.join(', ')} or 1-${names.length}`,
  });
}

/** The enum number of a REST value (name or number). */
export function enumNumber(names: readonly string[], value: string | number): number {
  return typeof value === 'number' ? value : names.indexOf(value) + 1;
}

/** The name of an enum number; undefined for 0 (unspecified) and unknown numbers. */
export function enumName<Name extends string>(names: readonly Name[], value: number): Name | undefined {
  return Number.isInteger(value) && value >= 1 ? names[value - 1] : undefined;
}

/** True when `value` has at most `decimals` decimal places (so it converts to an exact integer). */
export function hasDecimals(value: number, decimals: number): boolean {
  const scaled = value * 10 ** decimals;
  return Math.abs(Math.round(scaled) - scaled) < 1e-6;
}
