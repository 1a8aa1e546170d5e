import { randomUUID } from 'node:crypto';
import { startValkey, type ValkeyHandle } from '@oleada/local';
import { seededRandom, type AnyScenario } from '@oleada/scenarios';
import { applyBatch, DEFAULT_SEEN_TTL_SECONDS, loadAggregationFunction, operationsFor, ScenarioKeys, type PreparedEvent } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { Samples, summarize, type LatencySummary } from '../measure/latency';
import { ProcessSampler, type ProcessUsage } from '../measure/processes';

export interface ValkeyReplicaRow {
  readonly label: string;
  readonly replicas: number;
  /** Replicas each batch waited for (`WAIT n`), 0 for asynchronous replication. */
  readonly waitFor: number;
  readonly batches: number;
  readonly batchSize: number;
  /** Batches in flight at once. */
  readonly concurrency: number;
  readonly eventsPerSecond: number;
  /** Latency of one batch (applyBatch, plus WAIT when used), ms. */
  readonly batchLatency: LatencySummary;
  /** Replication offset the replicas were behind when the run ended (bytes), max over replicas. */
  readonly replicaLagBytes: number;
  readonly processes: readonly ProcessUsage[];
}

export interface ValkeyReplicaOptions {
  readonly scenario: AnyScenario;
  /** First of the ports used: primary on it, replicas on the next ones. */
  readonly basePort: number;
  readonly seconds: number;
  /** Events per applyBatch call (the consumer applies one Kafka fetch slice per call). @default 100 */
  readonly batchSize?: number;
  /** Batches in flight at once (the consumer handles 3 partitions concurrently). @default 3 */
  readonly concurrency?: number;
  readonly log: (message: string) => void;
}

/** Batches of real aggregation operations, built the way the consumer builds them. */
function preparedBatches(scenario: AnyScenario, count: number, size: number): PreparedEvent[][] {
  const keys = new ScenarioKeys(scenario.name);
  const random = seededRandom(7);
  return Array.from({ length: count }, () =>
    Array.from({ length: size }, () => {
      const record = scenario.decode(scenario.encode(scenario.toMessage(scenario.sample(random))), { eventId: '', acceptedAt: Date.now(), topic: scenario.topics[0] });
      return { seenKey: keys.seen(randomUUID()), operations: operationsFor(scenario.aggregates, keys, record, Date.now()) };
    }),
  );
}

async function replicationInfo(client: Valkey): Promise<Record<string, string>> {
  const text = await client.info('replication');
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

async function waitReplicasOnline(primary: Valkey, replicas: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await replicationInfo(primary);
    const online = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online')).length;
    if (online >= replicas) return;
    if (Date.now() > deadline) throw new Error(`only ${online} of ${replicas} Valkey replicas came online within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Write latency and throughput of the real aggregation function (applyBatch, one FCALL per batch)
 * on a fresh primary with 0, 1 and 2 replicas attached by `replicaof` (asynchronous replication),
 * plus one run where every batch also waits for one replica (`WAIT 1`).
 */
export async function compareValkeyReplicas(options: ValkeyReplicaOptions): Promise<ValkeyReplicaRow[]> {
  const configs = [
    { replicas: 0, waitFor: 0 },
    { replicas: 1, waitFor: 0 },
    { replicas: 2, waitFor: 0 },
    { replicas: 1, waitFor: 1 },
  ];
  const size = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 3;
  const pool = preparedBatches(options.scenario, 200, size);
  const keys = new ScenarioKeys(options.scenario.name);
  const rows: ValkeyReplicaRow[] = [];
  for (const config of configs) {
    const servers: ValkeyHandle[] = [];
    const clients: Valkey[] = [];
    try {
      const primary = await startValkey({ port: options.basePort, fresh: true, reuse: false });
      servers.push(primary);
      for (let r = 1; r <= config.replicas; r++) {
        servers.push(await startValkey({ port: options.basePort + r, fresh: true, reuse: false, extraArgs: ['--replicaof', '127.0.0.1', String(options.basePort)] }));
      }
      const admin = new Valkey(primary.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      clients.push(admin);
      await admin.connect();
      await waitReplicasOnline(admin, config.replicas);
      await loadAggregationFunction(admin);
      for (let w = 0; w < concurrency; w++) {
        const client = new Valkey(primary.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
        clients.push(client);
        await client.connect();
      }
      const sampler = new ProcessSampler(servers.map((s, i) => ({ name: i === 0 ? 'valkey primary' : `valkey replica ${i}`, pid: s.pid })));
      const latencies = new Samples();
      let batches = 0;
      let next = 0;
      sampler.start();
      const started = performance.now();
      const until = started + options.seconds * 1000;
      await Promise.all(
        clients.slice(1).map(async (client) => {
          while (performance.now() < until) {
            // Fresh event ids, so every batch is applied rather than recognised as a redelivery.
            const batch = pool[next++ % pool.length].map((e) => ({ ...e, seenKey: keys.seen(randomUUID()) }));
            const t0 = performance.now();
            await applyBatch(client, batch, DEFAULT_SEEN_TTL_SECONDS);
            if (config.waitFor > 0) {
              const acked = Number(await client.call('WAIT', String(config.waitFor), '5000'));
              if (acked < config.waitFor) throw new Error(`WAIT ${config.waitFor}: only ${acked} replicas acknowledged within 5 s`);
            }
            latencies.push(performance.now() - t0);
            batches++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const info = await replicationInfo(admin);
      const masterOffset = Number(info.master_repl_offset ?? 0);
      const replicaOffsets = Object.entries(info)
        .filter(([k]) => /^slave\d+$/.test(k))
        .map(([, v]) => Number(/offset=(\d+)/.exec(v)?.[1] ?? masterOffset));
      const row: ValkeyReplicaRow = {
        label: config.waitFor > 0 ? `${config.replicas} replica, WAIT ${config.waitFor}` : `${config.replicas} replica${config.replicas === 1 ? '' : 's'}`,
        replicas: config.replicas,
        waitFor: config.waitFor,
        batches,
        batchSize: size,
        concurrency,
        eventsPerSecond: (batches * size) / seconds,
        batchLatency: summarize(latencies.values()),
        replicaLagBytes: replicaOffsets.length ? Math.max(...replicaOffsets.map((o) => masterOffset - o)) : 0,
        processes: sampler.stop(batches * size),
      };
      rows.push(row);
      options.log(
        `valkey ${row.label}: ${row.eventsPerSecond.toFixed(0)} events/s in batches of ${size}, batch p50 ${row.batchLatency.p50.toFixed(2)} ms p99 ${row.batchLatency.p99.toFixed(2)} ms`,
      );
    } finally {
      for (const client of clients) client.disconnect();
      for (const server of servers.reverse()) await server.stop();
    }
  }
  return rows;
}
