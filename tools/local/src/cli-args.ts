import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';

/**
 * The one argument parser of every command-line tool here (npm start, the demo, infra, the
 * dashboard, the bench): option specs in, typed values, `--help` text, one-line errors and exit 64
 * (EX_USAGE) out. Everything is checked before the tool starts anything.
 */

/** Exit status of a command line that cannot be run as written (sysexits.h EX_USAGE). */
export const EXIT_USAGE = 64;

/** A bad command line: the message is one line, printed as it is. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One option: how node's parseArgs reads it, how the raw text becomes a value, how --help shows it. */
export interface CliOption<T> {
  readonly kind: 'string' | 'boolean';
  readonly multiple: boolean;
  readonly description: string;
  /** What the value looks like in --help (`N`, `NAME`, …). */
  readonly valueName: string;
  /** The default as --help prints it; omitted when there is none. */
  readonly defaultText?: string;
  /** The value from what was given (undefined: not given); throws UsageError naming what is wrong with it. */
  readonly read: (raw: string[] | boolean | undefined) => T;
}

interface Common<T> {
  readonly description: string;
  /** Extra check of a given value: the problem in a few words, or undefined when it is fine. */
  readonly check?: (value: T) => string | undefined;
  /** --help's value name. */
  readonly valueName?: string;
}

/** Thrown by an option's conversion: what is wrong with the text, in a few words. */
function bad(problem: string): never {
  throw new UsageError(problem);
}

function stringOption<T, D extends T | undefined>(
  convert: (text: string) => T,
  options: Common<T> & { readonly default?: D; readonly defaultText?: string; readonly valueName: string },
): CliOption<T | D> {
  return {
    kind: 'string',
    multiple: false,
    description: options.description,
    valueName: options.valueName,
    defaultText: options.defaultText ?? (options.default === undefined ? undefined : String(options.default)),
    read: (raw) => {
      if (raw === undefined || typeof raw === 'boolean') return options.default as D;
      const text = raw[raw.length - 1];
      try {
        const value = convert(text);
        const problem = options.check?.(value);
        if (problem) bad(problem);
        return value;
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`${error.message}, got "${text}"`);
        throw error;
      }
    },
  };
}

/** `a, b or c`, for --help and errors. */
function oneOf(choices: readonly string[]): string {
  return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

/** Option builders; each one's value has the type its name says. */
export const opt = {
  string<D extends string | undefined = undefined>(description: string, options: Omit<Common<string>, 'description'> & { default?: D; defaultText?: string } = {}): CliOption<string | D> {
    return stringOption((text) => text, { valueName: 'TEXT', ...options, description });
  },
  /** One of `choices`. */
  choice<C extends string, D extends C | undefined = undefined>(description: string, choices: readonly C[], options: { default?: D; valueName?: string } = {}): CliOption<C | D> {
    const convert = (text: string): C => ((choices as readonly string[]).includes(text) ? (text as C) : bad(`must be ${oneOf(choices)}`));
    return stringOption<C, D>(convert, { valueName: options.valueName ?? 'NAME', default: options.default, description: `${description}: ${oneOf(choices)}` });
  },
  /** A whole number within [min, max]. */
  int<D extends number | undefined = undefined>(description: string, options: Omit<Common<number>, 'description'> & { default?: D; min?: number; max?: number; defaultText?: string } = {}): CliOption<number | D> {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    const range = min === 0 && max === Number.MAX_SAFE_INTEGER ? 'a whole number ≥ 0' : max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
    const convert = (text: string): number => {
      const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max ? value : bad(`must be ${range}`);
    };
    return stringOption(convert, { valueName: 'N', ...options, description });
  },
  /** A finite number, fractions allowed, ≥ min. */
  number<D extends number | undefined = undefined>(description: string, options: { default?: D; min?: number; valueName?: string } = {}): CliOption<number | D> {
    const { min = -Infinity } = options;
    const convert = (text: string): number => {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(value) && value >= min ? value : bad(min === -Infinity ? 'must be a number' : `must be a number ≥ ${min}`);
    };
    return stringOption(convert, { valueName: 'N', ...options, description });
  },
  /** A TCP port (1-65535). */
  port<D extends number | undefined = undefined>(description: string, options: { default?: D; defaultText?: string } = {}): CliOption<number | D> {
    return opt.int(description, { ...options, min: 1, max: 65535, valueName: 'PORT' });
  },
  /** An IPv4 address (no names). */
  ipv4<D extends string | undefined = undefined>(description: string, options: { default?: D } = {}): CliOption<string | D> {
    return stringOption((text) => (isIPv4(text) ? text : bad('must be an IPv4 address')), { valueName: 'ADDRESS', ...options, description });
  },
  /** Present or not; never takes a value. */
  flag(description: string): CliOption<boolean> {
    return { kind: 'boolean', multiple: false, description, valueName: '', read: (raw) => raw === true };
  },
  /** May be given more than once; every value is kept (`default` when none is given). */
  list<C extends string>(description: string, options: { choices?: readonly C[]; default?: readonly C[]; valueName?: string } = {}): CliOption<C[] | undefined> {
    const { choices } = options;
    return {
      kind: 'string',
      multiple: true,
      description: choices ? `${description}: ${oneOf(choices)}; repeat for more` : `${description}; repeat for more`,
      valueName: options.valueName ?? 'NAME',
      defaultText: options.default?.join(' '),
      read: (raw) => {
        if (raw === undefined || typeof raw === 'boolean') return options.default ? [...options.default] : undefined;
        const wrong = choices ? raw.find((text) => !(choices as readonly string[]).includes(text)) : undefined;
        if (wrong !== undefined) throw new UsageError(`must be ${oneOf(choices!)}, got "${wrong}"`);
        return raw as C[];
      },
    };
  },
};

export interface CliSpec<O extends Record<string, CliOption<unknown>>> {
  /** How the tool is called, as --help and errors show it: `npm run demo --`. */
  readonly usage: string;
  /** A sentence or two on what it does. */
  readonly summary: string;
  readonly options: O;
  /** Sub-commands (the first positional, required when given): name → what it does. */
  readonly commands?: Readonly<Record<string, string>>;
  /** The one positional argument the tool takes (its name in --help, e.g. `EVENT_ID`), required. */
  readonly argument?: string;
  /** Lines printed after the options (examples, notes). */
  readonly notes?: readonly string[];
  /** A check of several options at once: the problem in one line, or undefined. */
  readonly check?: (values: CliValues<O>, command: string) => string | undefined;
}

export type CliValues<O extends Record<string, CliOption<unknown>>> = { -readonly [K in keyof O]: O[K] extends CliOption<infer T> ? T : never };

export interface ParsedCli<O extends Record<string, CliOption<unknown>>> {
  readonly values: CliValues<O>;
  /** The sub-command, when the spec has commands. */
  readonly command: string;
  /** The positional argument, when the spec takes one (`argument`). */
  readonly argument: string;
  /** Ends the run as a usage error (one line, exit 64): for checks that look at several options at once. */
  fail(message: string): never;
}

/** The --help text of a spec. */
export function helpText<O extends Record<string, CliOption<unknown>>>(spec: CliSpec<O>): string {
  const commands = spec.commands ? Object.entries(spec.commands) : [];
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([name, o]) => [
    `--${name}${o.kind === 'string' ? ` ${o.valueName}` : ''}`,
    `${o.description}${o.defaultText !== undefined && o.defaultText !== '' ? ` (default: ${o.defaultText})` : ''}`,
  ]);
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.max(...rows.map(([left]) => left.length), ...commands.map(([name]) => name.length));
  const table = (entries: Array<[string, string]>) => entries.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
  return [
    `usage: ${spec.usage}${spec.commands ? ` ${Object.keys(spec.commands).join('|')}` : ''}${spec.argument ? ` ${spec.argument}` : ''} [options]`,
    '',
    spec.summary,
    ...(commands.length > 0 ? ['', 'commands:', ...table(commands)] : []),
    '',
    'options:',
    ...table(rows),
    ...(spec.notes && spec.notes.length > 0 ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}

/**
 * Parses `argv` by `spec`, or throws UsageError naming the bad option (with its `--name`) or value.
 * Returns undefined when --help was asked for.
 */
export function parseCommandLine<O extends Record<string, CliOption<unknown>>>(spec: CliSpec<O>, argv: readonly string[]): { values: CliValues<O>; command: string; argument: string } | undefined {
  const config = Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.kind, multiple: true }]));
  // Not strict: node's own errors are multi-line and name no option consistently; the tokens let
  // each problem be told in one line here.
  const { tokens } = parseArgs({ args: [...argv], options: { ...config, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return undefined;
  const given = new Map<string, string[] | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name];
    if (!option) throw new UsageError(`unknown option ${token.rawName}`);
    if (option.kind === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`--${token.name} takes no value, got "${token.value}"`);
      given.set(token.name, true);
    } else {
      if (token.value === undefined || token.value === '') throw new UsageError(`--${token.name} needs a value (${option.valueName})`);
      // `--events --seed 3` would read "--seed" as the events: a value that looks like an option must be written --events=VALUE.
      if (!token.inlineValue && token.value.startsWith('-')) throw new UsageError(`--${token.name} needs a value (${option.valueName}); one starting with "-" is written --${token.name}=VALUE`);
      const earlier = given.get(token.name);
      given.set(token.name, option.multiple && Array.isArray(earlier) ? [...earlier, token.value] : [token.value]);
    }
  }
  let command = '';
  if (spec.commands) {
    command = positionals.shift() ?? '';
    if (!command) throw new UsageError(`a command is needed: ${Object.keys(spec.commands).join(', ')}`);
    if (!Object.hasOwn(spec.commands, command)) throw new UsageError(`unknown command "${command}" (${Object.keys(spec.commands).join(', ')})`);
  }
  let argument = '';
  if (spec.argument) {
    argument = positionals.shift() ?? '';
    if (!argument) throw new UsageError(`${spec.argument} is needed`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    try {
      values[name] = option.read(given.get(name));
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`--${name} ${error.message}`);
      throw error;
    }
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const problem = spec.check?.(values as CliValues<O>, command);
  if (problem) throw new UsageError(problem);
  return { values: values as CliValues<O>, command, argument };
}

/**
 * The command line of this process by `spec`: prints --help and exits 0 when asked; prints a bad
 * command line's problem in one line and exits 64. With OLEADA_CLI_CHECK_ONLY=1 (set by
 * tools/scripts/run-cli.sh before it spends time building) it exits 0 once the line is found good.
 */
export function parseCli<O extends Record<string, CliOption<unknown>>>(spec: CliSpec<O>, argv: readonly string[] = process.argv.slice(2)): ParsedCli<O> {
  const tool = spec.usage.replace(/ --$/, '');
  const fail = (message: string): never => {
    process.stderr.write(`${tool}: ${message} (--help lists the options)\n`);
    process.exit(EXIT_USAGE);
  };
  let parsed: ReturnType<typeof parseCommandLine<O>>;
  try {
    parsed = parseCommandLine(spec, argv);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
  if (!parsed) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  if (process.env.OLEADA_CLI_CHECK_ONLY === '1') process.exit(0);
  return { ...parsed, fail };
}
