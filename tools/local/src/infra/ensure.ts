import { startKafka, type KafkaHandle, type StartKafkaOptions } from './kafka';
import { startRabbitMQ, type RabbitMQHandle, type StartRabbitMQOptions } from './rabbitmq';
import { startValkey, type StartValkeyOptions, type ValkeyHandle } from './valkey';

export interface EnsureInfraOptions {
  /** `false`: no Kafka (RabbitMQ carries the events). */
  kafka?: StartKafkaOptions | false;
  valkey?: StartValkeyOptions;
  /** Also start RabbitMQ (`true`: on its default ports). */
  rabbitmq?: StartRabbitMQOptions | boolean;
  /** Applies `fresh` to every server (per-server options win). */
  fresh?: boolean;
}

export interface Infra<K extends KafkaHandle | undefined = KafkaHandle> {
  /** Unset when `kafka: false` was asked for. */
  kafka: K;
  valkey: ValkeyHandle;
  /** Set when RabbitMQ was asked for. */
  rabbitmq: RabbitMQHandle | undefined;
  /** Stops what this call started (reused servers stay up). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Kafka (unless `kafka: false`) and Valkey (and RabbitMQ when asked) on their local ports
 * (19092/19093, 16379, 15673 by default), started in parallel, or reused when already answering.
 * If one fails, the others are stopped and the error thrown.
 */
export async function ensureInfra(opts?: EnsureInfraOptions & { kafka?: StartKafkaOptions }): Promise<Infra>;
export async function ensureInfra(opts: EnsureInfraOptions): Promise<Infra<KafkaHandle | undefined>>;
export async function ensureInfra(opts: EnsureInfraOptions = {}): Promise<Infra<KafkaHandle | undefined>> {
  const fresh = opts.fresh === undefined ? {} : { fresh: opts.fresh };
  const rabbitOptions = opts.rabbitmq === true ? {} : opts.rabbitmq || undefined;
  const [k, v, r] = await Promise.allSettled([
    opts.kafka === false ? Promise.resolve(undefined) : startKafka({ ...fresh, ...opts.kafka }),
    startValkey({ ...fresh, ...opts.valkey }),
    rabbitOptions ? startRabbitMQ({ ...fresh, ...rabbitOptions }) : Promise.resolve(undefined),
  ]);
  if (k.status === 'rejected' || v.status === 'rejected' || r.status === 'rejected') {
    await Promise.all([k, v, r].map((result) => (result.status === 'fulfilled' ? result.value?.stop() : undefined)));
    const errors = [k, v, r].filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason as Error);
    if (errors.length === 1) throw errors[0];
    throw new Error(errors.map((e) => e.message).join('\n\n'));
  }
  const kafka = k.value;
  const valkey = v.value;
  const rabbitmq = r.value;
  let stopping: Promise<void> | undefined;
  return {
    kafka,
    valkey,
    rabbitmq,
    stop: () => (stopping ??= Promise.all([kafka?.stop(), valkey.stop(), rabbitmq?.stop()]).then(() => undefined)),
  };
}

/** One line naming where each server of `infra` answers. */
export function describeInfra(infra: Infra<KafkaHandle | undefined>): string {
  return [infra.kafka && `Kafka ${infra.kafka.brokers}`, `Valkey ${infra.valkey.url}`, infra.rabbitmq && `RabbitMQ ${infra.rabbitmq.url}`].filter(Boolean).join(', ');
}
