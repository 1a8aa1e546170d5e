import { join } from 'node:path';
import { createKafka, ensureTopics } from '@oleada/broker';
import { selectScenarios } from '@oleada/scenarios';
import { createLogger } from '@oleada/shared';
import { repoRoot, runDir } from '../infra/paths';
import { AppProcess } from './processes';

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
} as const;

export interface StackOptions {
  readonly kafkaBrokers: string;
  readonly valkeyUrl: string;
  /** @default ['blackfriday'] */
  readonly scenarios?: readonly string[];
  /** Port offset, so tests can run a stack beside a developer's. @default 0 */
  readonly portOffset?: number;
  /** Consumer group; a fresh one re-reads topics from the start. @default 'oleada-consumer' */
  readonly groupId?: string;
  /** Extra environment for every app (e.g. MAX_IN_FLIGHT). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where logs go. @default .cache/run/logs */
  readonly logDir?: string;
}

/**
 * The whole chain on loopback: gateway → relay → writer-1, writer-2 (two processes) → Kafka →
 * consumer → Valkey, each app a real process started from its compiled main.js.
 */
export class LocalStack {
  readonly gateway: AppProcess;
  readonly relay: AppProcess;
  readonly writers: AppProcess[];
  readonly consumer: AppProcess;
  readonly gatewayUrl: string;
  private readonly scenarios: string[];

  constructor(private readonly options: StackOptions) {
    const offset = options.portOffset ?? 0;
    const root = repoRoot();
    const logDir = options.logDir ?? join(runDir('logs'));
    this.scenarios = [...(options.scenarios ?? ['blackfriday'])];
    const common = { SCENARIOS: this.scenarios.join(','), LOG_LEVEL: 'warn', ...options.env };
    const kafka = { KAFKA_BROKERS: options.kafkaBrokers };
    this.writers = STACK_PORTS.writers.map(
      (w) =>
        new AppProcess(
          { name: w.name, app: 'writer', port: w.http + offset, env: { ...common, ...kafka, GRPC_PORT: String(w.grpc + offset) } },
          root,
          logDir,
        ),
    );
    this.consumer = new AppProcess(
      {
        name: 'consumer',
        app: 'consumer',
        port: STACK_PORTS.consumer + offset,
        env: { ...common, ...kafka, VALKEY_URL: options.valkeyUrl, KAFKA_GROUP_ID: options.groupId ?? 'oleada-consumer' },
      },
      root,
      logDir,
    );
    const writerTargets = STACK_PORTS.writers.map((w) => `127.0.0.1:${w.grpc + offset}`).join(',');
    this.relay = new AppProcess({ name: 'relay', app: 'relay', port: STACK_PORTS.relay + offset, env: { ...common, WRITER_TARGETS: writerTargets } }, root, logDir);
    this.gateway = new AppProcess(
      { name: 'gateway', app: 'gateway', port: STACK_PORTS.gateway + offset, env: { ...common, RELAY_URL: `http://127.0.0.1:${STACK_PORTS.relay + offset}` } },
      root,
      logDir,
    );
    this.gatewayUrl = `http://127.0.0.1:${STACK_PORTS.gateway + offset}`;
  }

  /** Every app, in start order (the entry last, so it only opens once the chain behind it is ready). */
  get apps(): AppProcess[] {
    return [this.consumer, ...this.writers, this.relay, this.gateway];
  }

  private kafka() {
    return createKafka({ brokers: this.options.kafkaBrokers.split(','), clientId: 'oleada-local' }, createLogger('local', 'error'));
  }

  /** Creates the scenarios' topics (Strimzi KafkaTopics do this in Kubernetes). */
  async createTopics(): Promise<void> {
    const kafka = this.kafka();
    const specs = selectScenarios(this.scenarios).flatMap((s) => [
      ...s.topics.map((topic) => ({ topic, partitions: s.partitions })),
      { topic: s.deadLetterTopic, partitions: 1 },
    ]);
    await ensureTopics(kafka, specs);
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
   * Waits until the consumer group has committed up to the end of every topic it reads, so that
   * what Valkey shows afterwards is not still changing from records of earlier runs.
   */
  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const topics = selectScenarios(this.scenarios).flatMap((s) => s.topics);
      const deadline = Date.now() + timeoutMs;
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
        if (Date.now() > deadline) throw new Error(`consumer still ${behind} records behind after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops the entry first so nothing new comes in, then the rest, each draining cleanly. */
  async stop(): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    codes.gateway = await this.gateway.stop();
    codes.relay = await this.relay.stop();
    const writers = await Promise.all(this.writers.map((w) => w.stop()));
    this.writers.forEach((w, i) => (codes[w.spec.name] = writers[i]));
    codes.consumer = await this.consumer.stop();
    return codes;
  }
}
