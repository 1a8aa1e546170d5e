import { LocalStack, STACK_PORTS, type StackOptions } from '@oleada/local';
import type { BenchEnv } from './stack-run';
import { TRACING_OFF } from './trace/store';

/** One configuration of the local stack that a comparison runs. */
export interface StackVariant {
  readonly label: string;
  /** Writer processes behind the relay. */
  readonly writers: number;
  readonly broker: 'kafka' | 'rabbitmq';
  /** Passed to every app's node (`OLEADA_NODE_ARGS`), e.g. `--cpu-prof`. */
  readonly nodeArgs?: string;
  /** Stack options beyond the common ones. */
  readonly options?: Partial<StackOptions>;
}

export const STACK_VARIANTS = {
  default: { label: `${STACK_PORTS.writers.length} writers`, writers: STACK_PORTS.writers.length, broker: 'kafka' },
  oneWriter: { label: '1 writer', writers: 1, broker: 'kafka', options: { writerCount: 1 } },
  twoWriters: { label: '2 writers', writers: 2, broker: 'kafka', options: { writerCount: 2 } },
  rabbitmq: { label: `${STACK_PORTS.writers.length} writers`, writers: STACK_PORTS.writers.length, broker: 'rabbitmq', options: { broker: 'rabbitmq' } },
} as const satisfies Record<string, StackVariant>;

/**
 * Starts the stack of `variant`, runs `body` against it, and stops it whatever happens. Its apps
 * trace only when the variant's environment says so (an OTEL_* variable): never because the
 * bench's own environment had an OTLP endpoint.
 */
export async function startBenchStack(env: BenchEnv, variant: StackVariant, body: (stack: LocalStack) => Promise<void>): Promise<void> {
  const appEnv = variant.options?.env ?? {};
  const traced = Object.keys(appEnv).some((name) => name.startsWith('OTEL_'));
  const stack = new LocalStack({
    kafkaBrokers: env.kafkaBrokers,
    valkeyUrl: env.valkeyUrl,
    valkeyCredential: env.valkeyCredential,
    scenarios: [env.scenario.name],
    portOffset: env.portOffset,
    groupId: env.groupId,
    logDir: env.logDir,
    ...(variant.broker === 'rabbitmq' ? { rabbitmq: env.rabbitmq?.env } : {}),
    ...variant.options,
    env: traced ? appEnv : { ...TRACING_OFF, ...appEnv },
  });
  env.log(`starting the stack: ${variant.label}, ${variant.broker}${variant.nodeArgs ? ` (node ${variant.nodeArgs})` : ''}`);
  const saved = process.env.OLEADA_NODE_ARGS;
  if (variant.nodeArgs) process.env.OLEADA_NODE_ARGS = variant.nodeArgs;
  try {
    await stack.start();
  } finally {
    if (saved === undefined) delete process.env.OLEADA_NODE_ARGS;
    else process.env.OLEADA_NODE_ARGS = saved;
  }
  try {
    await stack.waitCaughtUp(120_000);
    await body(stack);
  } finally {
    const codes = await stack.stop();
    const unclean = Object.entries(codes).filter(([, code]) => code !== 0);
    if (unclean.length) env.log(`stack stopped; not clean: ${unclean.map(([name, code]) => `${name}=${code}`).join(', ')}`);
  }
}
