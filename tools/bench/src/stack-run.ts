import { loadavg } from 'node:os';
import { connectRabbitMQ } from '@oleada/broker';
import { queuesOf, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { METRIC_NAMES } from '@oleada/shared';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import { totalMetric, waitCounted, type LocalStack } from '@oleada/local';
import type Valkey from 'iovalkey';
import type { Admin } from 'kafkajs';
import type { LoadResult } from './load/result';
import { consumerLag, LagSampler, queueBacklog } from './measure/lag';
import { readResidentMemory, type ResidentMemory } from './measure/memory';
import { LOAD_GENERATOR, ProcessSampler, TRACE_STORE, type ProcessUsage } from './measure/processes';
import { histogramDelta, histogramOf, histogramQuantile, scrape, valueOf, type Histogram, type PromSample } from './measure/prometheus';

/** Servers and clients every stack run shares. */
export interface BenchEnv {
  readonly kafkaBrokers: string;
  readonly valkeyUrl: string;
  /** The consumer's Valkey user, when Valkey requires authentication. */
  readonly valkeyCredential?: { readonly username: string; readonly password: string };
  /** Pids of Kafka and Valkey (owned or found by their port), for CPU and RSS. */
  readonly kafkaPid?: number;
  readonly valkeyPid?: number;
  readonly scenario: AnyScenario;
  readonly portOffset: number;
  readonly logDir: string;
  readonly valkey: Valkey;
  readonly admin: Admin;
  readonly groupId: string;
  /** Pid of the trace store (Jaeger) of a traced run, measured beside the stack (TRACE_STORE). */
  readonly traceStorePid?: number;
  /** RabbitMQ, once a comparison started it: the apps' environment (RABBITMQ_URL, …) and its pid. */
  rabbitmq?: { readonly env: Readonly<Record<string, string>>; readonly pid?: number };
  log(message: string): void;
}

/** Request bodies drawn from the scenario's sample data, encoded once and reused round-robin. */
export class BodyPool {
  private readonly bodies: string[];
  private next = 0;

  constructor(scenario: AnyScenario, size = 5000, seed = 20261128) {
    const random = seededRandom(seed);
    this.bodies = Array.from({ length: size }, () => JSON.stringify(scenario.sample(random)));
  }

  readonly at = (index: number): string => this.bodies[index % this.bodies.length];
  readonly take = (): string => this.bodies[this.next++ % this.bodies.length];
}

/** Mean and p99 (from the histogram buckets) of one hop, in milliseconds. */
export interface HopLatency {
  readonly count: number;
  readonly meanMs: number;
  readonly p99Ms: number;
}

/** What each hop's own histogram recorded during a run. */
export interface HopLatencies {
  /** Gateway: from the request to the chain's answer (validation, then the REST call to the relay). */
  readonly gateway: HopLatency;
  /** Relay: the gRPC call to a writer, until the writer answered. */
  readonly relayGrpc: HopLatency;
  /** Writer: from the RPC's arrival to the broker's acknowledgement. */
  readonly writerRpc: HopLatency;
  /** Writer: one produce request, until acks=all. */
  readonly produce: HopLatency;
  /** Consumer: one batch applied to Valkey. */
  readonly valkeyApply: HopLatency;
  /** Writers: records per produce request (Kafka) or confirmed batch (RabbitMQ), mean over the run. */
  readonly recordsPerProduce?: number;
  /** Consumer: freshness, from the gateway accepting each event to Valkey applying it (absent in older reports). */
  readonly freshness?: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number };
}

export interface StackRunResult {
  readonly label: string;
  /** Offered events/s (paced runs). */
  readonly offeredRate?: number;
  /** Concurrent connections (closed-loop runs). */
  readonly connections?: number;
  readonly load: LoadResult;
  /** 202s per second of sending. */
  readonly acceptedRate: number;
  /** Events the scenario's total in Valkey grew by. */
  readonly counted: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Counted events per second, from the first send until Valkey showed the last. */
  readonly endToEndRate: number;
  readonly endToEndSeconds: number;
  /** How far the consumer was behind (records), asked of the broker every second. */
  readonly lag: { readonly max: number; readonly mean: number };
  readonly processes: readonly ProcessUsage[];
  readonly hops: HopLatencies;
  /** The machine's 1-minute load average when the run began and ended (other work included). */
  readonly loadAverage: readonly [number, number];
  /** Each app's V8 heap when the run ended: RSS above it is heap V8 reserved but is not using. */
  readonly heaps: Readonly<Record<string, V8Heap>>;
  /** Each app's resident memory by what backs it, read from /proc/<pid>/smaps as the load ended. */
  readonly memory?: Readonly<Record<string, ResidentMemory>>;
  /** Each app's event-loop delay over the run, and the time it spent collecting garbage. */
  readonly eventLoop?: Readonly<Record<string, EventLoopUsage>>;
}

export interface EventLoopUsage {
  /** How late the event loop ran its timers (p99 and worst): time a ready callback waited for the CPU or for other work. */
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Time spent in garbage collection pauses during the run. */
  readonly gcMs: number;
}

function hopLatency(h: Histogram): HopLatency {
  return { count: h.count, meanMs: h.count > 0 ? (h.sum / h.count) * 1000 : Number.NaN, p99Ms: histogramQuantile(h, 0.99) * 1000 };
}

type Scrapes = Map<string, PromSample[]>;

/** Every running app's /metrics, by app name. */
async function scrapeAll(stack: LocalStack): Promise<Scrapes> {
  const apps = stack.apps.filter((a) => a.running);
  const samples = await Promise.all(apps.map((a) => scrape(`http://127.0.0.1:${a.spec.port}`)));
  return new Map(apps.map((a, i) => [a.spec.name, samples[i]]));
}

function hopsBetween(stack: LocalStack, before: Scrapes, after: Scrapes): HopLatencies {
  const scrapesOf = (scrapes: Scrapes, names: string[]) => names.flatMap((name) => scrapes.get(name) ?? []);
  const delta = (apps: string[], name: string, where: Record<string, string> = {}) =>
    hopLatency(histogramDelta(histogramOf(scrapesOf(after, apps), name, where), histogramOf(scrapesOf(before, apps), name, where)));
  const writers = stack.writers.map((w) => w.spec.name);
  return {
    gateway: delta([stack.gateway.spec.name], METRIC_NAMES.gatewayRequestDuration, { kind: 'single' }),
    relayGrpc: delta([stack.relay.spec.name], METRIC_NAMES.relayGrpcDuration, { code: 'OK' }),
    writerRpc: delta(writers, METRIC_NAMES.writerRpcDuration, { outcome: 'accepted' }),
    produce: delta(writers, METRIC_NAMES.produceDuration, { outcome: 'ok' }),
    valkeyApply: delta([stack.consumer.spec.name], METRIC_NAMES.valkeyApplyDuration),
    freshness: (() => {
      const h = histogramDelta(histogramOf(scrapesOf(after, [stack.consumer.spec.name]), METRIC_NAMES.consumerFreshness), histogramOf(scrapesOf(before, [stack.consumer.spec.name]), METRIC_NAMES.consumerFreshness));
      return { count: h.count, p50Ms: histogramQuantile(h, 0.5) * 1000, p99Ms: histogramQuantile(h, 0.99) * 1000 };
    })(),
    recordsPerProduce: (() => {
      const h = histogramDelta(histogramOf(scrapesOf(after, writers), METRIC_NAMES.produceBatchRecords), histogramOf(scrapesOf(before, writers), METRIC_NAMES.produceBatchRecords));
      return h.count > 0 ? h.sum / h.count : undefined;
    })(),
  };
}

/** An app's V8 heap (prom-client's default metrics), in MiB. */
export interface V8Heap {
  readonly usedMiB: number;
  /** What V8 reserved for its heap, every space together. */
  readonly totalMiB: number;
  /** Of `totalMiB`, the young generation (its semi-spaces, sized by --max-semi-space-size). */
  readonly newSpaceMiB?: number;
  /** Memory outside the heap that V8 objects hold (Buffers, ArrayBuffers): malloc'd, so part of the anonymous RSS. */
  readonly externalMiB?: number;
}

/** V8 heap of each app when the run ended (prom-client's default metrics), in MiB. */
function heapsOf(scrapes: Scrapes): Record<string, V8Heap> {
  const mib = (samples: PromSample[], name: string, where?: Record<string, string>) => valueOf(samples, name, where) / 1048576;
  return Object.fromEntries(
    [...scrapes].map(([app, samples]) => [
      app,
      {
        usedMiB: mib(samples, 'nodejs_heap_size_used_bytes'),
        totalMiB: mib(samples, 'nodejs_heap_size_total_bytes'),
        newSpaceMiB: mib(samples, 'nodejs_heap_space_size_total_bytes', { space: 'new' }),
        externalMiB: mib(samples, 'nodejs_external_memory_bytes'),
      },
    ]),
  );
}

/**
 * prom-client samples the event loop with a timer of this period (its default, which the apps'
 * Metrics keep) and reports the time between samples: an idle loop shows about this much.
 */
const LOOP_SAMPLE_MS = 10;

/**
 * Event-loop delay and GC time of each app between two scrapes. prom-client restarts its delay
 * histogram at every scrape, so the later scrape covers exactly the run; GC is a running sum.
 */
export function eventLoopBetween(before: Scrapes, after: Scrapes): Record<string, EventLoopUsage> {
  const gcSeconds = (samples: PromSample[] | undefined) => valueOf(samples ?? [], 'nodejs_gc_duration_seconds_sum');
  const delayMs = (samples: PromSample[], name: string) => Math.max(0, valueOf(samples, name) * 1000 - LOOP_SAMPLE_MS);
  return Object.fromEntries(
    [...after].map(([app, samples]) => [
      app,
      {
        delayP99Ms: delayMs(samples, 'nodejs_eventloop_lag_p99_seconds'),
        delayMaxMs: delayMs(samples, 'nodejs_eventloop_lag_max_seconds'),
        gcMs: (gcSeconds(samples) - gcSeconds(before.get(app))) * 1000,
      },
    ]),
  );
}

/** Each running app's resident memory now, by what backs it. */
function residentMemoryOf(stack: LocalStack): Record<string, ResidentMemory> {
  const out: Record<string, ResidentMemory> = {};
  for (const app of stack.apps) {
    const memory = app.running && app.pid !== undefined ? readResidentMemory(app.pid) : undefined;
    if (memory) out[app.spec.name] = memory;
  }
  return out;
}

/** Every process of a run: the apps, the broker, Valkey and this process (the load generator). */
export function stackProcesses(env: BenchEnv, stack: LocalStack): Array<{ name: string; pid: number | undefined }> {
  return [
    ...stack.apps.filter((a) => a.running).map((a) => ({ name: a.spec.name, pid: a.pid })),
    ...(stack.uses('kafka') ? [{ name: 'kafka', pid: env.kafkaPid }] : []),
    ...(stack.uses('rabbitmq') ? [{ name: 'rabbitmq', pid: env.rabbitmq?.pid }] : []),
    { name: 'valkey', pid: env.valkeyPid },
    ...(env.traceStorePid ? [{ name: TRACE_STORE, pid: env.traceStorePid }] : []),
    { name: LOAD_GENERATOR, pid: process.pid },
  ];
}

/** How far the consumer is behind, asked of the broker the stack uses. */
async function backlogOf(env: BenchEnv, stack: LocalStack): Promise<{ read: () => Promise<number>; close: () => Promise<void> }> {
  if (!stack.uses('rabbitmq')) return { read: () => consumerLag(env.admin, env.groupId, env.scenario.topics), close: async () => undefined };
  const rabbit = env.rabbitmq?.env ?? {};
  const connection = await connectRabbitMQ({ url: rabbit.RABBITMQ_URL, username: rabbit.RABBITMQ_USERNAME, password: rabbit.RABBITMQ_PASSWORD, clientName: 'oleada-bench' });
  const channel = await connection.createChannel();
  const queues = queuesOf([env.scenario]).map((q) => q.queue);
  return { read: () => queueBacklog(channel, queues), close: () => connection.close() };
}

/** When a load began and ended, epoch milliseconds (what a trace store is asked about afterwards). */
export interface LoadWindow {
  from: number;
  to: number;
}

/** `drive`, noting in `window` when it began and ended. */
export function timed(drive: () => Promise<LoadResult>, window: LoadWindow): () => Promise<LoadResult> {
  return async () => {
    window.from = Date.now();
    const load = await drive();
    window.to = Date.now();
    return load;
  };
}

/**
 * One measured run against a started stack: waits until earlier runs are fully counted, drives
 * load, then waits until Valkey counted every accepted event (or a timeout), sampling CPU, RSS and
 * lag all along, and reads each hop's histograms before and after.
 */
export async function measureStackRun(
  env: BenchEnv,
  stack: LocalStack,
  label: string,
  drive: () => Promise<LoadResult>,
  extra: { offeredRate?: number; connections?: number } = {},
): Promise<StackRunResult> {
  await stack.waitCaughtUp(120_000);
  const keys = new ScenarioKeys(env.scenario.name);
  const totalKey = keys.metric(totalMetric(env.scenario));
  const baseline = await readCounter(env.valkey, totalKey);
  const before = await scrapeAll(stack);
  const sampler = new ProcessSampler(stackProcesses(env, stack));
  const backlog = await backlogOf(env, stack);
  const lag = new LagSampler(backlog.read);
  const loadBefore = loadavg()[0];
  sampler.start();
  lag.start();
  const started = performance.now();
  let load: LoadResult;
  let memory: Record<string, ResidentMemory> = {};
  let counting: { counted: number; seconds: number };
  try {
    load = await drive();
    memory = residentMemoryOf(stack);
    counting = await waitCounted(env.valkey, env.scenario, baseline, load.accepted, { since: started, settleMs: 1000, timeoutMs: 180_000 });
  } finally {
    sampler.stop();
    await lag.stop();
    await backlog.close();
  }
  const { counted, seconds } = counting;
  const processes = sampler.stop(Math.max(counted, load.accepted));
  const lagStats = await lag.stop();
  const after = await scrapeAll(stack);
  const result: StackRunResult = {
    label,
    ...extra,
    load,
    acceptedRate: load.accepted / load.seconds,
    counted,
    lost: Math.max(0, load.accepted - counted),
    duplicates: Math.max(0, counted - load.accepted),
    endToEndRate: counted / seconds,
    endToEndSeconds: seconds,
    lag: { max: lagStats.max, mean: lagStats.mean },
    processes,
    loadAverage: [loadBefore, loadavg()[0]],
    hops: hopsBetween(stack, before, after),
    heaps: heapsOf(after),
    memory,
    eventLoop: eventLoopBetween(before, after),
  };
  env.log(
    `${label}: accepted ${load.accepted}/${load.sent}${load.dropped ? ` (${load.dropped} not offered)` : ''} = ${result.acceptedRate.toFixed(0)}/s, ` +
      `end to end ${result.endToEndRate.toFixed(0)} events/s, p50 ${load.latency.p50.toFixed(1)} ms p99 ${load.latency.p99.toFixed(1)} ms, ` +
      `lag max ${lagStats.max}, lost=${result.lost} duplicates=${result.duplicates}`,
  );
  return result;
}
