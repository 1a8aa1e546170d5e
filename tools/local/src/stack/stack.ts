import { join } from 'node:path';
import { assertQueues, connectRabbitMQ, createKafka, ensureTopics, type BrokerKind } from '@oleada/broker';
import { queuesOf, selectScenarios } from '@oleada/scenarios';
import { createLogger } from '@oleada/shared';
import { repoRoot, runDir } from '../infra/paths';
import { valkeyClientEnv, valkeyCredentials } from '../infra/valkey';
import { AppProcess, reachableAddress } from './processes';

/** Local ports of the apps (docs/architecture.md). */
export const STACK_PORTS = {
  gateway: 18080,
  relay: 18081,
  writers: [
    { name: 'writer-1', grpc: 15051, http: 18091 },
    { name: 'writer-2a', grpc: 15052, http: 18092 },
    { name: 'writer-2b', grpc: 15053, http: 18093 },
  ],
  consumer: 18095,
  /** The second consumer when both brokers run. */
  consumerRabbitmq: 18096,
} as const;

/** Which broker carries the events: one of them, or both at once (every event fanned out to each). */
export const STACK_BROKERS = ['kafka', 'rabbitmq', 'both'] as const;
export type StackBroker = (typeof STACK_BROKERS)[number];

/** One way events reach Valkey: its broker, its consumer, and the key variant its aggregates use. */
export interface StackPath {
  readonly broker: BrokerKind;
  /** ScenarioKeys `variant` (undefined: the scenario's plain keys). */
  readonly variant: string | undefined;
  readonly consumer: AppProcess;
}

export interface StackOptions {
  /** Required when Kafka carries events. */
  readonly kafkaBrokers?: string;
  readonly valkeyUrl: string;
  /** The consumer's Valkey user (VALKEY_USERNAME/VALKEY_PASSWORD), when Valkey requires authentication. */
  readonly valkeyCredential?: { readonly username: string; readonly password: string };
  /**
   * The gateway's Valkey user (its Idempotency-Key records). @default with `valkeyCredential`, the
   * local gateway user of `.cache/secrets/valkey.env` (the one every local Valkey is started with)
   */
  readonly gatewayValkeyCredential?: { readonly username: string; readonly password: string };
  /** RABBITMQ_URL, RABBITMQ_USERNAME, RABBITMQ_PASSWORD; required when RabbitMQ carries events. */
  readonly rabbitmq?: Readonly<Record<string, string>>;
  /** @default 'kafka' */
  readonly broker?: StackBroker;
  /** @default ['blackfriday'] */
  readonly scenarios?: readonly string[];
  /** Port offset, so tests can run a stack beside a developer's. @default 0 */
  readonly portOffset?: number;
  /** Consumer group; a fresh one re-reads topics from the start. @default 'oleada-consumer' */
  readonly groupId?: string;
  /**
   * Address every app listens on (HOST): loopback, as the README promises local mode runs, unless
   * asked otherwise (`--host`); the apps' own default (pods) is 0.0.0.0. @default '127.0.0.1'
   */
  readonly host?: string;
  /** Extra environment for every app (e.g. MAX_IN_FLIGHT). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where logs go. @default .cache/run/logs */
  readonly logDir?: string;
  /**
   * Writer processes to run, the first of STACK_PORTS.writers (benchmarks compare 1, 2 and 3).
   * Kafka or RabbitMQ only: with 'both' the writers are split between the brokers. @default all
   */
  readonly writerCount?: number;
  /** Checkout whose built apps (apps/<app>/dist) run, e.g. another git ref's worktree in an A/B bench. @default this repository */
  readonly appRoot?: string;
}

/**
 * The whole chain on loopback: gateway → relay → writer-1, writer-2 (two processes) → Kafka or
 * RabbitMQ → consumer → Valkey, each app a real process started from its compiled main.js. With
 * `broker: 'both'` the relay fans every event out to writer-1 (Kafka) and writer-2 (RabbitMQ), and
 * one consumer per broker aggregates its path under its own key variant (`kafka`, `rabbitmq`).
 */
export class LocalStack {
  readonly gateway: AppProcess;
  readonly relay: AppProcess;
  readonly writers: AppProcess[];
  /** The (first) consumer. */
  readonly consumer: AppProcess;
  readonly consumers: AppProcess[];
  readonly paths: StackPath[];
  readonly gatewayUrl: string;
  readonly broker: StackBroker;
  private readonly scenarios: string[];

  constructor(private readonly options: StackOptions) {
    const offset = options.portOffset ?? 0;
    const root = options.appRoot ?? repoRoot();
    const logDir = options.logDir ?? join(runDir('logs'));
    this.broker = options.broker ?? 'kafka';
    this.scenarios = [...(options.scenarios ?? ['blackfriday'])];
    if (this.uses('kafka') && !options.kafkaBrokers) throw new Error(`broker ${this.broker} needs kafkaBrokers`);
    if (this.uses('rabbitmq') && !options.rabbitmq?.RABBITMQ_URL) throw new Error(`broker ${this.broker} needs the rabbitmq environment (RABBITMQ_URL, …)`);
    const common = { SCENARIOS: this.scenarios.join(','), LOG_LEVEL: 'warn', HOST: options.host ?? '127.0.0.1', ...options.env };
    const brokerEnv = (broker: BrokerKind): Record<string, string> =>
      broker === 'kafka' ? { BROKER: 'kafka', KAFKA_BROKERS: options.kafkaBrokers as string } : { BROKER: 'rabbitmq', ...options.rabbitmq };
    // With both brokers, writer-1 publishes to Kafka and writer-2 (two processes) to RabbitMQ.
    const writerBroker = (index: number): BrokerKind => (this.broker === 'both' ? (index === 0 ? 'kafka' : 'rabbitmq') : this.broker);
    const writerCount = options.writerCount ?? STACK_PORTS.writers.length;
    if (!Number.isInteger(writerCount) || writerCount < 1 || writerCount > STACK_PORTS.writers.length) {
      throw new Error(`writerCount must be 1-${STACK_PORTS.writers.length}, got ${writerCount}`);
    }
    if (this.broker === 'both' && writerCount !== STACK_PORTS.writers.length) throw new Error("writerCount cannot be combined with broker 'both'");
    this.writers = STACK_PORTS.writers.slice(0, writerCount).map(
      (w, i) =>
        new AppProcess(
          { name: w.name, app: 'writer', port: w.http + offset, env: { ...common, ...brokerEnv(writerBroker(i)), GRPC_PORT: String(w.grpc + offset) } },
          root,
          logDir,
        ),
    );
    const consumerOf = (broker: BrokerKind, name: string, port: number, variant: string | undefined): StackPath => ({
      broker,
      variant,
      consumer: new AppProcess(
        {
          name,
          app: 'consumer',
          port: port + offset,
          env: {
            ...common,
            ...brokerEnv(broker),
            VALKEY_URL: options.valkeyUrl,
            ...(options.valkeyCredential ? { VALKEY_USERNAME: options.valkeyCredential.username, VALKEY_PASSWORD: options.valkeyCredential.password } : {}),
            KAFKA_GROUP_ID: options.groupId ?? 'oleada-consumer',
            ...(variant ? { VALKEY_VARIANT: variant } : {}),
          },
        },
        root,
        logDir,
      ),
    });
    this.paths =
      this.broker === 'both'
        ? [consumerOf('kafka', 'consumer', STACK_PORTS.consumer, 'kafka'), consumerOf('rabbitmq', 'consumer-rabbitmq', STACK_PORTS.consumerRabbitmq, 'rabbitmq')]
        : [consumerOf(this.broker, 'consumer', STACK_PORTS.consumer, undefined)];
    this.consumers = this.paths.map((p) => p.consumer);
    this.consumer = this.consumers[0];

    const address = reachableAddress(common.HOST);
    const targets = (indexes: number[]) => indexes.map((i) => `${address}:${STACK_PORTS.writers[i].grpc + offset}`).join(',');
    const writerTargets: Record<string, string> =
      this.broker === 'both' ? { WRITER_TARGETS: targets([0]), FANOUT_TARGETS: targets([1, 2]) } : { WRITER_TARGETS: targets(this.writers.map((_, i) => i)) };
    this.relay = new AppProcess({ name: 'relay', app: 'relay', port: STACK_PORTS.relay + offset, env: { ...common, ...writerTargets } }, root, logDir);
    const gatewayCredential = options.gatewayValkeyCredential ?? (options.valkeyCredential ? valkeyCredentials().gateway : undefined);
    this.gateway = new AppProcess(
      {
        name: 'gateway',
        app: 'gateway',
        port: STACK_PORTS.gateway + offset,
        env: {
          ...common,
          RELAY_URL: `http://${address}:${STACK_PORTS.relay + offset}`,
          VALKEY_URL: options.valkeyUrl,
          ...(gatewayCredential ? valkeyClientEnv(gatewayCredential) : {}),
        },
      },
      root,
      logDir,
    );
    this.gatewayUrl = `http://${address}:${STACK_PORTS.gateway + offset}`;
  }

  /** True when `broker` carries events in this stack. */
  uses(broker: BrokerKind): boolean {
    return this.broker === broker || this.broker === 'both';
  }

  /** Every app, in start order (the entry last, so it only opens once the chain behind it is ready). */
  get apps(): AppProcess[] {
    return [...this.consumers, ...this.writers, this.relay, this.gateway];
  }

  private kafka() {
    return createKafka({ brokers: (this.options.kafkaBrokers as string).split(','), clientId: 'oleada-local' }, createLogger('local', 'error'));
  }

  private rabbitConnection() {
    const env = this.options.rabbitmq ?? {};
    return connectRabbitMQ({ url: env.RABBITMQ_URL, username: env.RABBITMQ_USERNAME, password: env.RABBITMQ_PASSWORD, clientName: 'oleada-local' });
  }

  /** Creates the scenarios' topics and queues (in Kubernetes, Strimzi KafkaTopics; the apps declare the RabbitMQ queues on connect). */
  async createTopics(): Promise<void> {
    const scenarios = selectScenarios(this.scenarios);
    if (this.uses('kafka')) {
      const specs = scenarios.flatMap((s) => [...s.topics.map((topic) => ({ topic, partitions: s.partitions })), { topic: s.deadLetterTopic, partitions: 1 }]);
      await ensureTopics(this.kafka(), specs);
    }
    if (this.uses('rabbitmq')) {
      const connection = await this.rabbitConnection();
      try {
        await assertQueues(await connection.createChannel(), queuesOf(scenarios));
      } finally {
        await connection.close();
      }
    }
  }

  async start(): Promise<void> {
    await this.createTopics();
    for (const app of this.apps) app.start();
    try {
      await Promise.all(this.apps.map((app) => app.waitReady()));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Waits until every broker path has nothing left to deliver (Kafka: the group committed up to
   * the end of every topic; RabbitMQ: every queue is empty and consumed), so that what Valkey shows
   * afterwards is not still changing from records of earlier runs.
   */
  async waitCaughtUp(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.uses('kafka')) await this.waitKafkaCaughtUp(deadline, timeoutMs);
    if (this.uses('rabbitmq')) await this.waitRabbitCaughtUp(deadline, timeoutMs);
  }

  private async waitKafkaCaughtUp(deadline: number, timeoutMs: number): Promise<void> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const topics = selectScenarios(this.scenarios).flatMap((s) => s.topics);
      for (;;) {
        let behind = 0;
        const committed = await admin.fetchOffsets({ groupId: this.options.groupId ?? 'oleada-consumer', topics });
        for (const topic of topics) {
          const ends = await admin.fetchTopicOffsets(topic);
          const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
          for (const end of ends) {
            const at = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
            const high = Number(end.high);
            if (high > 0 && (at < 0 ? 0 : at) < high) behind += high - Math.max(at, 0);
          }
        }
        if (behind === 0) return;
        if (Date.now() > deadline) throw new Error(`Kafka consumer still ${behind} records behind after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async waitRabbitCaughtUp(deadline: number, timeoutMs: number): Promise<void> {
    const queues = queuesOf(selectScenarios(this.scenarios)).map((q) => q.queue);
    const connection = await this.rabbitConnection();
    try {
      const channel = await connection.createChannel();
      // Ready messages are counted, unacknowledged ones are not: two empty readings in a row,
      // half a second apart, leave time for an in-flight batch to be acked.
      let emptyReadings = 0;
      for (;;) {
        let waiting = 0;
        let unconsumed = 0;
        for (const queue of queues) {
          const { messageCount, consumerCount } = await channel.checkQueue(queue);
          waiting += messageCount;
          if (consumerCount === 0) unconsumed++;
        }
        emptyReadings = waiting === 0 && unconsumed === 0 ? emptyReadings + 1 : 0;
        if (emptyReadings >= 2) return;
        if (Date.now() > deadline) throw new Error(`RabbitMQ queues still hold ${waiting} messages (${unconsumed} queues without a consumer) after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await connection.close();
    }
  }

  /** Stops the entry first so nothing new comes in, then the rest, each draining cleanly. */
  async stop(): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    codes.gateway = await this.gateway.stop();
    codes.relay = await this.relay.stop();
    const writers = await Promise.all(this.writers.map((w) => w.stop()));
    this.writers.forEach((w, i) => (codes[w.spec.name] = writers[i]));
    const consumers = await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers.forEach((c, i) => (codes[c.spec.name] = consumers[i]));
    return codes;
  }
}
