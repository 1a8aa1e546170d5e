import { z } from 'zod';

/** Raised when the environment does not satisfy an app's configuration schema. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

declare module 'zod' {
  /**
   * What the configuration table (docs/architecture.md, made by libs/app-config) says of a variable
   * beyond its schema: `description` is its meaning; the default and whether it is required come
   * from the schema itself.
   */
  interface GlobalMeta {
    /** The default in words, where the schema gives none because it follows from another variable (e.g. `the rate`). */
    byDefault?: string;
    /** The condition under which a ConfigRule requires it although the schema lets it be unset, e.g. `BROKER=kafka`. */
    requiredWith?: string;
  }
}

/** Turns an empty string into undefined so that `FOO=` counts as unset. */
const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** Common schema pieces, so every app spells a variable the same way. */
export const env = {
  string: () => z.preprocess(blankToUndefined, z.string().min(1)),
  port: () => z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(65535)),
  positiveInt: () => z.preprocess(blankToUndefined, z.coerce.number().int().positive()),
  list: () =>
    z.preprocess(
      (value) => (typeof value === 'string' && value.trim() !== '' ? value : undefined),
      z
        .string()
        .transform((s) => s.split(',').map((part) => part.trim()).filter((part) => part.length > 0))
        .pipe(z.array(z.string()).min(1)),
    ),
  url: () => z.preprocess(blankToUndefined, z.url()),
  /** An address to listen on (IPv4 or IPv6, no names). */
  address: () => z.preprocess(blankToUndefined, z.union([z.ipv4(), z.ipv6()])),
  logLevel: () =>
    z.preprocess(blankToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])).default('info'),
};

/** Variables every app reads. */
export const baseConfigShape = {
  SERVICE_NAME: env.string().optional().meta({ description: 'name in logs and metrics (`writer-1`, `writer-2`, …)', byDefault: 'app name' }),
  LOG_LEVEL: env.logLevel().describe('pino level'),
  PORT: env.port().default(8080).describe('HTTP port (REST for gateway/relay; `/metrics` and `/health/*` everywhere)'),
  HOST: env.address().default('0.0.0.0').describe("address every port of the app listens on (HTTP and the writer's gRPC): every address in a pod; the local stack sets `127.0.0.1`"),
  SHUTDOWN_TIMEOUT_MS: env.positiveInt().default(10_000).describe('drain budget on SIGTERM'),
};

/**
 * A check across variables (e.g. which broker variables BROKER requires) over the variables of its
 * own `shape`. It runs whenever those are valid, even when other variables are not, so one start
 * reports every problem instead of one group per run.
 */
export interface ConfigRule {
  readonly shape: z.ZodRawShape;
  problems(config: Record<string, unknown>): string[];
}

/** A ConfigRule typed by its shape. */
export function configRule<Shape extends z.ZodRawShape>(shape: Shape, problems: (config: z.infer<z.ZodObject<Shape>>) => string[]): ConfigRule {
  return { shape, problems: problems as ConfigRule['problems'] };
}

/**
 * Validates `source` (the process environment by default) against `shape` and `rules`, and returns
 * the typed result. Every problem is reported at once, each naming its variable.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
  rules: readonly ConfigRule[] = [],
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(source);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const variable = issue.path.join('.') || '(environment)';
        const value = source[String(issue.path[0])];
        const detail = value === undefined || value === '' ? 'is required but not set' : `is invalid: ${issue.message}`;
        return `${variable} ${detail}`;
      });
  for (const rule of rules) {
    const part = z.object(rule.shape).safeParse(source);
    if (part.success) problems.push(...rule.problems(part.data));
  }
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(problems);
}

/** Loads the configuration or stops the process with a message naming every bad variable. */
export function loadConfigOrExit<Shape extends z.ZodRawShape>(
  app: string,
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
  rules: readonly ConfigRule[] = [],
): z.infer<z.ZodObject<Shape>> {
  try {
    return loadConfig(shape, source, rules);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${app}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** SASL options from KAFKA_SASL_MECHANISM / KAFKA_USERNAME / KAFKA_PASSWORD, when all are set. */
export function kafkaSasl(config: {
  readonly KAFKA_SASL_MECHANISM?: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  readonly KAFKA_USERNAME?: string;
  readonly KAFKA_PASSWORD?: string;
}): { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string } | undefined {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_USERNAME: username, KAFKA_PASSWORD: password } = config;
  if (!mechanism) return undefined;
  if (!username || !password) throw new ConfigError([`KAFKA_USERNAME and KAFKA_PASSWORD are required with KAFKA_SASL_MECHANISM=${mechanism}`]);
  return { mechanism, username, password };
}
