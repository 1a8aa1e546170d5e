import assert from 'node:assert/strict';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '@oleada/broker';
import {
  AppProcess,
  ensureInfra,
  percentile,
  LocalStack,
  reportPlace,
  repoRoot,
  STACK_PORTS,
  totalMetric,
  valkeyClientEnv,
  waitCounted,
  type Infra,
  type KafkaHandle,
  type ValkeyCredential,
  type ValkeyCredentials,
  type ValkeyHandle,
} from '@oleada/local';
import { blackfridayScenario, canonicalRoute, seededRandom, type AnyScenario, type SaleBody, type ScenarioDefinition } from '@oleada/scenarios';
import { createLogger, uuidv5 } from '@oleada/shared';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import type { Kafka } from 'kafkajs';
import { runLoad, summarize, type LoadReport } from './load-client';
import { ResultsBook, type FaultRow } from './results';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** OLEADA_TEST_PORT_OFFSET moves every port of the suite, as it does npm test's, for a second run beside this one. */
export const FAULT_PORT_OFFSET = Number(process.env.OLEADA_TEST_PORT_OFFSET ?? 0);
if (!Number.isInteger(FAULT_PORT_OFFSET) || FAULT_PORT_OFFSET < 0) throw new Error(`OLEADA_TEST_PORT_OFFSET=${process.env.OLEADA_TEST_PORT_OFFSET} is not a port offset`);
/** This suite's own servers: never reused, never shared with a developer's stack or `npm test`. */
export const FAULT_PORTS = { kafka: 29192 + FAULT_PORT_OFFSET, kafkaController: 29193 + FAULT_PORT_OFFSET, valkey: 26479 + FAULT_PORT_OFFSET } as const;
/** The stack's apps listen at their usual ports plus this. */
export const STACK_OFFSET = 4000 + FAULT_PORT_OFFSET;
/** Extra gateways (overload, rate limit, …) listen at the usual gateway port plus this and up. */
export const EXTRA_GATEWAY_OFFSET = 4500 + FAULT_PORT_OFFSET;

export const scenario = blackfridayScenario;

/**
 * One stack under fault and its scenario's aggregates in the suite's Valkey: how a fault test
 * sends its load, and the accounting it ends with. The Kafka suite is one; the RabbitMQ stack
 * (rabbitmq-stack.ts) is another, on a scenario of its own so their counts never mix.
 */
export abstract class FaultTarget {
  readonly keys: ScenarioKeys;

  constructor(readonly scenario: AnyScenario) {
    this.keys = new ScenarioKeys(scenario.name);
  }

  abstract readonly stack: LocalStack;
  /** An admin client of the suite's Valkey, to read the aggregates. */
  abstract readonly admin: Valkey;
  abstract readonly results: ResultsBook;
  /** Prefix of this run's Idempotency-Keys, so a rerun never collides with an earlier run's ids. */
  abstract readonly run: string;

  protected need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`${what} did not start (see the failure of its before hook)`);
    return value;
  }

  /** Sends `events` realistic events of the scenario through the stack's gateway as the load client does. */
  load(test: string, events: number, eventsPerSecond: number): Promise<LoadReport> {
    return runLoad({
      baseUrl: this.stack.gatewayUrl,
      path: canonicalRoute(this.scenario),
      events,
      eventsPerSecond,
      body: (i) => sampleEvent(this.scenario, i),
      key: (i) => this.key(test, i),
      maxOutstanding: 32,
    });
  }

  /** The scenario's total counter now. */
  total(): Promise<number> {
    return readCounter(this.admin, this.keys.metric(totalMetric(this.scenario)));
  }

  /** Idempotency-Key of event `i` of a test: unique across tests and runs. */
  key(test: string, i: number): string {
    return `${this.run}-${test}-${i}`;
  }

  /** The id the gateway derives from an Idempotency-Key. */
  idFor(key: string): string {
    return uuidv5(`${this.scenario.name}:${key}`);
  }

  /**
   * Waits until Valkey counted `accepted` more events than `baseline` and the consumers have
   * caught up with every topic or queue (so late duplicates would show), then reads the final
   * count and checks the dedup marker of every accepted id.
   */
  async settle(baseline: number, acceptedIds: readonly string[]): Promise<{ counted: number; missingIds: number }> {
    await waitCounted(this.admin, this.scenario, baseline, acceptedIds.length, { timeoutMs: 120_000, settleMs: 1000, keys: this.keys });
    await this.stack.waitCaughtUp(120_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const counted = (await this.total()) - baseline;
    let missingIds = 0;
    for (let i = 0; i < acceptedIds.length; i += 1000) {
      const pipeline = this.admin.pipeline();
      for (const id of acceptedIds.slice(i, i + 1000)) pipeline.exists(this.keys.seen(id));
      for (const [error, exists] of (await pipeline.exec()) ?? []) if (error || exists !== 1) missingIds++;
    }
    return { counted, missingIds };
  }

  /**
   * The accounting every fault test ends with: records the row (so a failure shows in the
   * document too), then asserts sent == accepted == counted, nothing lost, nothing twice.
   */
  async account(id: string, fault: string, report: LoadReport, baseline: number, notes: string[] = []): Promise<FaultRow> {
    const s = summarize(report);
    const { counted, missingIds } = await this.settle(baseline, s.acceptedIds);
    const wrongIds = report.events.filter((e) => e.id !== undefined && e.id !== this.idFor(e.key)).length;
    const row: FaultRow = {
      id,
      fault,
      sent: s.sent,
      accepted: s.accepted,
      counted,
      lost: s.accepted - counted,
      duplicated: counted - s.accepted,
      requests: s.requests,
      status503: s.status503,
      otherServerErrors: s.otherServerErrors,
      notes: [
        ...notes,
        s.connectionErrors > 0 ? `${s.connectionErrors} connection errors` : '',
        s.status429 > 0 ? `${s.status429}× 429` : '',
        missingIds > 0 ? `${missingIds} accepted ids without a dedup marker` : '',
        s.gaveUp + s.rejected > 0 ? `${s.gaveUp} given up, ${s.rejected} rejected` : '',
      ]
        .filter(Boolean)
        .join('; '),
      passed: s.sent === s.accepted && counted === s.accepted && missingIds === 0 && wrongIds === 0 && s.idConflicts === 0,
    };
    this.results.fault(row);
    assert.equal(s.gaveUp, 0, `${s.gaveUp} events were never accepted: ${JSON.stringify(s.byStatus)}`);
    assert.equal(s.rejected, 0, `${s.rejected} valid events were rejected: ${JSON.stringify(s.byStatus)}`);
    assert.equal(s.idConflicts, 0, 'an event got two different ids');
    assert.equal(wrongIds, 0, 'every 202 carries the id derived from its Idempotency-Key');
    assert.equal(s.accepted, s.sent, 'every event sent was accepted in the end');
    assert.equal(row.lost, 0, `lost: accepted ${s.accepted}, counted ${counted}`);
    assert.equal(row.duplicated, 0, `duplicated: accepted ${s.accepted}, counted ${counted}`);
    assert.equal(missingIds, 0, 'every accepted id has its dedup marker in Valkey');
    return row;
  }
}

/**
 * Everything a fault test needs: Kafka and Valkey (AOF with fsync on every write, ACL users) on
 * the suite's ports, the whole stack as real processes, an admin Valkey client to read the
 * aggregates, and the results book that writes the report (docs/reliability.md when asked for).
 */
export class FaultSuite extends FaultTarget {
  readonly logDir = join(repoRoot(), '.cache/run/logs-faults');
  /** The report: .cache/reports/faults (OLEADA_REPORT_DIR); docs/reliability.md only with OLEADA_WRITE_DOCS=1. */
  readonly results = new ResultsBook(
    reportPlace('faults', 'docs'),
    `${cpus().length} CPUs shared with other work (load average ${loadavg()[0].toFixed(1)} at start), Node ${process.version}`,
  );
  private infra: Infra | undefined;
  private stackHandle: LocalStack | undefined;
  private adminClient: Valkey | undefined;
  private kafkaClientHandle: Kafka | undefined;
  private readonly extra: AppProcess[] = [];
  readonly run = Date.now().toString(36);

  constructor() {
    super(scenario);
  }

  get kafka(): KafkaHandle {
    return this.need(this.infra, 'Kafka').kafka;
  }
  get valkey(): ValkeyHandle {
    return this.need(this.infra, 'Valkey').valkey;
  }
  get credentials(): ValkeyCredentials {
    return this.need(this.valkey.credentials, 'Valkey credentials');
  }
  get stack(): LocalStack {
    return this.need(this.stackHandle, 'the stack');
  }
  get admin(): Valkey {
    return this.need(this.adminClient, 'the Valkey admin client');
  }
  get kafkaClient(): Kafka {
    return this.need(this.kafkaClientHandle, 'the Kafka client');
  }
  /** Every app process: the stack's and the extra gateways. */
  get apps(): AppProcess[] {
    return [...(this.stackHandle?.apps ?? []), ...this.extra];
  }

  async start(): Promise<void> {
    // Asked to refresh docs/reliability.md from a filtered run: refused now, not after minutes of faults.
    this.results.checkPublishable();
    // Fresh servers on the suite's own ports; a server already there is an error, never reused.
    this.infra = await ensureInfra({
      fresh: true,
      kafka: { port: FAULT_PORTS.kafka, controllerPort: FAULT_PORTS.kafkaController, reuse: false },
      valkey: { port: FAULT_PORTS.valkey, reuse: false, appendonly: true, extraArgs: ['--appendfsync', 'always'], auth: true },
    });
    this.adminClient = await this.connect(this.credentials.admin);
    this.kafkaClientHandle = createKafka({ brokers: [this.kafka.brokers], clientId: 'oleada-faults' }, createLogger('faults', 'error'));
    this.stackHandle = new LocalStack({
      kafkaBrokers: this.kafka.brokers,
      valkeyUrl: this.valkey.url,
      portOffset: STACK_OFFSET,
      logDir: this.logDir,
      groupId: 'oleada-faults',
      valkeyCredential: this.credentials.consumer,
      gatewayValkeyCredential: this.credentials.gateway,
    });
    await this.stackHandle.start();
  }

  /** A Valkey client of the suite's server, as `credential`. */
  async connect(credential: ValkeyCredential): Promise<Valkey> {
    const client = new Valkey(this.valkey.url, { ...credential, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined); // reconnects by itself across the Valkey restart test
    await client.connect();
    return client;
  }

  /** Starts one more gateway in front of the stack's relay, with its own settings. */
  async gateway(name: string, offset: number, env: Record<string, string>): Promise<AppProcess> {
    const app = new AppProcess(
      {
        name,
        app: 'gateway',
        port: STACK_PORTS.gateway + EXTRA_GATEWAY_OFFSET + offset,
        env: { LOG_LEVEL: 'warn', RELAY_URL: `http://127.0.0.1:${STACK_PORTS.relay + STACK_OFFSET}`, VALKEY_URL: this.valkey.url, ...valkeyClientEnv(this.credentials.gateway), ...env },
      },
      repoRoot(),
      this.logDir,
    );
    this.extra.push(app);
    app.start();
    await app.waitReady();
    return app;
  }

  /** Stops the extra gateways and the stack, entry first; returns each exit code. */
  async stopApps(): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    for (const app of this.extra) codes[app.spec.name] = await app.stop();
    if (this.stackHandle) Object.assign(codes, await this.stackHandle.stop());
    return codes;
  }

  /** Leaves nothing running, whatever failed. */
  async cleanup(): Promise<void> {
    for (const app of this.apps) if (app.running) await app.stop('SIGKILL');
    this.adminClient?.disconnect();
    await this.infra?.stop();
  }
}

/** A realistic event `i` of a scenario (deterministic, so a failure can be replayed). */
export function sampleEvent<Body>(of: Pick<ScenarioDefinition<Body>, 'sample'>, i: number): Body {
  return of.sample(seededRandom(i + 1));
}

/** A realistic sale for event `i`. */
export function sale(i: number): SaleBody {
  return sampleEvent(scenario, i);
}

/** p-th percentile of the latencies (ms) of the attempts answered `status`. */
export function latencyPercentile(report: LoadReport, status: number, p: number, from = -Infinity, to = Infinity): number {
  return percentile(
    report.attempts.filter((a) => a.status === status && a.sentAt >= from && a.sentAt < to).map((a) => a.answeredAt - a.sentAt),
    p,
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
