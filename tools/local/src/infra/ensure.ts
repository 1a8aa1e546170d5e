import { startKafka, type KafkaHandle, type StartKafkaOptions } from './kafka';
import { startValkey, type StartValkeyOptions, type ValkeyHandle } from './valkey';

export interface EnsureInfraOptions {
  kafka?: StartKafkaOptions;
  valkey?: StartValkeyOptions;
  /** Applies `fresh` to both servers (per-server options win). */
  fresh?: boolean;
}

export interface Infra {
  kafka: KafkaHandle;
  valkey: ValkeyHandle;
  /** Stops what this call started (reused servers stay up). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Kafka and Valkey on their local ports (19092/19093, 16379 by default), started in parallel,
 * or reused when already answering. If either fails, the other is stopped and the error thrown.
 */
export async function ensureInfra(opts: EnsureInfraOptions = {}): Promise<Infra> {
  const fresh = opts.fresh === undefined ? {} : { fresh: opts.fresh };
  const [k, v] = await Promise.allSettled([
    startKafka({ ...fresh, ...opts.kafka }),
    startValkey({ ...fresh, ...opts.valkey }),
  ]);
  if (k.status === 'rejected' || v.status === 'rejected') {
    await Promise.all([
      k.status === 'fulfilled' ? k.value.stop() : undefined,
      v.status === 'fulfilled' ? v.value.stop() : undefined,
    ]);
    const errors = [k, v].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    if (errors.length === 1) throw errors[0];
    throw new Error(errors.map((e) => e.message).join('\n\n'));
  }
  const kafka = k.value;
  const valkey = v.value;
  let stopping: Promise<void> | undefined;
  return {
    kafka,
    valkey,
    stop: () => (stopping ??= Promise.all([kafka.stop(), valkey.stop()]).then(() => undefined)),
  };
}
