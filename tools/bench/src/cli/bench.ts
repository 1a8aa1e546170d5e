#!/usr/bin/env node
/**
 * npm run bench [-- --quick] — the local stack under load, the technology comparisons, and the
 * report (README.md, SVG charts, results.json) in `--out`, else .cache/reports/bench; the committed
 * one in docs/performance only with --write-docs (a full run). See docs/performance/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createKafka } from '@oleada/broker';
import { DEFAULT_PORTS, DEFAULT_RABBITMQ_PORT, ensureInfra, KAFKA_VERSION, opt, parseCli, reportPlace, repoRoot, runDir, startRabbitMQ, valkeyServerBinary, type Infra, type RabbitMQHandle } from '@oleada/local';
import { canonicalRoute, getScenario, SCENARIOS, type AnyScenario } from '@oleada/scenarios';
import { createLogger } from '@oleada/shared';
import Valkey from 'iovalkey';
import { AB_OPTIONS, checkAbOptions, wantsAb } from '../ab/options';
import type { AbResult } from '../ab/run';
import { runBenchAb } from '../ab/section';
import { compareHops, type HopRow } from '../compare/hops';
import { compareValkeyReplicas, type ValkeyReplicaRow } from '../compare/valkey-replicas';
import { pacedLoad } from '../load/paced';
import { saturate, saturateFor } from '../load/saturate';
import { writeBatchLoad } from '../load/write-batches';
import { readProfileOf, summarizeProfile, type CpuProfile } from '../measure/cpu-profile';
import { pidListeningOn, ProcessSampler } from '../measure/processes';
import { describeMachine, loadAverages } from '../machine';
import { flameTree, isOwnOrPackageFrame, renderFlameGraph, widestFrames } from '../report/flame-graph';
import { regressionRows } from '../report/regression';
import { checkTargets, TARGETS } from '../report/targets';
import type { AppProfile, BareResult, BenchReport } from '../report/model';
import { BENCH_DOCS, baselineFile, checkWriteDocs, writeBenchReport } from '../report/write';
import { ChildServer } from '../servers/child';
import { BodyPool, measureStackRun, type BenchEnv, type StackRunResult } from '../stack-run';
import { STACK_VARIANTS, startBenchStack, type StackVariant } from '../stacks';
import { benchJaegerPort, checkTraceOptions, TRACE_OPTIONS } from '../trace/options';
import { runTimeSplit, type TimeSplitResult } from '../trace/section';

const SECTIONS = ['bare', 'sweep', 'valkey', 'hops', 'writers', 'brokers', 'profile', 'traces', 'direct', 'ab'] as const;
type Section = (typeof SECTIONS)[number];

/** A comma-separated list whose every item passes `ok`: the problem, or undefined. */
const listOf = (what: string, ok: (item: string) => boolean) => (text: string) => (text.split(',').every(ok) ? undefined : `must be a comma-separated list of ${what}`);

/** The command line, checked: a bad line (or --write-docs with a partial run) exits 64 before anything starts. */
function parseOptions() {
  return parseCli({
    usage: 'npm run bench --',
    summary: 'The local stack under load, the technology comparisons, and the report (README.md, SVG charts, results.json).',
    options: {
      quick: opt.flag('short steps, no CPU profile (~2 minutes)'),
      out: opt.string('where the report goes', { valueName: 'DIR', defaultText: '.cache/reports/bench' }),
      'write-docs': opt.flag('also rewrite the committed report in docs/performance (a full run only)'),
      scenario: opt.choice('scenario whose events are sent', SCENARIOS.map((s) => s.name), { default: 'blackfriday' }),
      rates: opt.string('offered rates of the sweep, events/s', { valueName: 'N,N,…', check: listOf('rates', (r) => Number(r) > 0), defaultText: 'the built-in sweep' }),
      connections: opt.int('connections of the load generator', { default: 64, min: 1 }),
      'sustained-rate': opt.int('offered rate of the sustained run, events/s', { default: TARGETS.sustainedRate, min: 1 }),
      'port-offset': opt.int("added to the stacks' local ports", { default: 3000, min: 0, max: 40_000 }),
      'kafka-port': opt.port('Kafka', { defaultText: String(DEFAULT_PORTS.kafka) }),
      'valkey-port': opt.port('Valkey', { defaultText: String(DEFAULT_PORTS.valkey) }),
      'rabbitmq-port': opt.port('RabbitMQ', { defaultText: String(DEFAULT_RABBITMQ_PORT) }),
      'node-args': opt.string('extra node flags for every app, as OLEADA_NODE_ARGS', { default: process.env.OLEADA_NODE_ARGS ?? '', valueName: 'FLAGS' }),
      'no-profile': opt.flag('skip the CPU profile section'),
      'profile-dir': opt.string('keep the .cpuprofile files here (deleted otherwise)', { valueName: 'DIR' }),
      only: opt.string(`sections to run (${SECTIONS.join(', ')})`, { valueName: 'A,B', check: listOf('sections', (s) => (SECTIONS as readonly string[]).includes(s)), defaultText: 'all but direct and ab (and traces with --quick); with --ab, --ab-planted, --ab-tracing or --ab-env, ab only' }),
      'direct-batch': opt.int('direct: events per EventBatchService call', { default: 50, min: 1 }),
      'direct-concurrency': opt.int('direct: calls in flight', { default: 16, min: 1 }),
      'direct-seconds': opt.int('direct: seconds', { default: 20, min: 1 }),
      'direct-rate': opt.int('direct: offered events/s (open loop)', { min: 1, defaultText: 'closed loop' }),
      'app-env': opt.string('direct: extra environment for every app', { valueName: 'NAME=V,…', check: listOf('NAME=value pairs', (p) => /^[A-Z_][A-Z0-9_]*=/.test(p)) }),
      'direct-writers': opt.int('direct: writer processes', { min: 1, max: 3, defaultText: '3' }),
      baseline: opt.string('the results.json to compare with', { valueName: 'FILE', defaultText: "the previous run's in the report directory, else the committed one" }),
      ...AB_OPTIONS,
      ...TRACE_OPTIONS,
    },
    // A partial run with --write-docs (or a bad OLEADA_WRITE_DOCS) is a usage error, found before anything starts.
    check: (values) => {
      const ab = checkAbOptions(values) ?? checkTraceOptions(values);
      if (ab) return ab;
      try {
        checkWriteDocs(reportPlace('bench', BENCH_DOCS, { out: values.out, writeDocs: values['write-docs'] || undefined }), { quick: Boolean(values.quick), only: values.only });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  }).values;
}

type BenchArgs = ReturnType<typeof parseOptions>;

function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

/** What the command line asks for: the steps' lengths and rates, the sections, where the report goes. */
function benchOptions(args: BenchArgs) {
  const quick = args.quick as boolean;
  const plan = {
    rates: (args.rates as string | undefined)?.split(',').map(Number) ?? (quick ? [250, 1500, TARGETS.p99Rate] : [250, 500, 1000, 1500, 2000, TARGETS.p99Rate, 3000]),
    stepSeconds: quick ? 6 : 20,
    warmupSeconds: quick ? 3 : 5,
    connections: Number(args.connections),
    sustainedSeconds: quick ? 12 : 60,
    sustainedRate: Number(args['sustained-rate']),
    comparisonSeconds: quick ? 6 : 15,
    bareSeconds: quick ? 4 : 10,
    hopSeconds: quick ? 3 : 8,
    valkeySeconds: quick ? 3 : 8,
    profileSeconds: 20,
  };
  // Where the report goes (checked with the command line above).
  const place = reportPlace('bench', BENCH_DOCS, { out: args.out, writeDocs: args['write-docs'] || undefined });
  // `direct` is a tool for the writer path, run when asked for (--only direct); --ab alone runs the A/B section only.
  const only = new Set<Section>(
    ((args.only as string | undefined)?.split(',') as Section[] | undefined) ??
      (wantsAb(args) ? ['ab'] : SECTIONS.filter((s) => s !== 'direct' && s !== 'ab' && !(s === 'profile' && (quick || args['no-profile'])) && !(s === 'traces' && quick))),
  );
  const nodeArgs = (args['node-args'] as string).trim();
  /** The stack variants, each with the --node-args flags. */
  const variants = Object.fromEntries(
    Object.entries(STACK_VARIANTS).map(([key, variant]) => [key, { ...variant, nodeArgs: nodeArgs || undefined }]),
  ) as Record<keyof typeof STACK_VARIANTS, StackVariant>;
  const portOffset = Number(args['port-offset']);
  /** Ports of the benchmark's own helper servers, beside the stack's (offset) ports. */
  const helperPorts = { bare: 18070 + portOffset, rest: 18071 + portOffset, grpc: 18072 + portOffset };
  return { args, quick, plan, place, only, nodeArgs, variants, portOffset, helperPorts };
}

type BenchOptions = ReturnType<typeof benchOptions>;

interface Credential {
  readonly username: string;
  readonly password: string;
}

interface Servers {
  readonly infra?: Infra;
  readonly kafkaBrokers: string;
  readonly valkeyUrl: string;
  readonly valkeyPort: number;
  /** Who the benchmark reads Valkey as (all keys), and the consumer's own user; unset without authentication. */
  readonly valkeyAdmin?: Credential;
  readonly valkeyConsumer?: Credential;
}

function credentialFrom(username: string | undefined, password: string | undefined): Credential | undefined {
  return username && password ? { username, password } : undefined;
}

/** Kafka and Valkey: the ones in KAFKA_BROKERS and VALKEY_URL, else started (or reused) on the asked ports. */
async function startServers(args: BenchArgs): Promise<Servers> {
  if (process.env.KAFKA_BROKERS && process.env.VALKEY_URL) {
    log(`using the servers in KAFKA_BROKERS (${process.env.KAFKA_BROKERS}) and VALKEY_URL`);
    return {
      kafkaBrokers: process.env.KAFKA_BROKERS,
      valkeyUrl: process.env.VALKEY_URL,
      valkeyPort: Number(new URL(process.env.VALKEY_URL).port),
      // The names tools/scripts/run-tests.mjs exports.
      valkeyAdmin: credentialFrom(process.env.VALKEY_USERNAME, process.env.VALKEY_PASSWORD),
      valkeyConsumer: credentialFrom(process.env.VALKEY_CONSUMER_USERNAME, process.env.VALKEY_CONSUMER_PASSWORD),
    };
  }
  const kafkaPort = Number(args['kafka-port'] ?? DEFAULT_PORTS.kafka);
  const valkeyPort = Number(args['valkey-port'] ?? DEFAULT_PORTS.valkey);
  log(`starting (or reusing) Kafka on ${kafkaPort} and Valkey on ${valkeyPort}`);
  // As npm start and the demo run it: Valkey requires authentication, the consumer has its own user.
  const infra = await ensureInfra({ kafka: { port: kafkaPort, controllerPort: kafkaPort + 1 }, valkey: { port: valkeyPort, auth: true } });
  return {
    infra,
    kafkaBrokers: infra.kafka.brokers,
    valkeyUrl: infra.valkey.url,
    valkeyPort,
    valkeyAdmin: infra.valkey.credentials?.admin,
    valkeyConsumer: infra.valkey.credentials?.consumer,
  };
}

/** The stacks' environment: the servers, the benchmark's own Kafka admin and Valkey clients (connected), the scenario. */
async function connectBenchEnv(servers: Servers, scenario: AnyScenario, portOffset: number): Promise<BenchEnv> {
  const kafka = createKafka({ brokers: servers.kafkaBrokers.split(','), clientId: 'oleada-bench' }, createLogger('bench', 'error'));
  const admin = kafka.admin();
  await admin.connect();
  const valkey = new Valkey(servers.valkeyUrl, { lazyConnect: true, maxRetriesPerRequest: 2, ...servers.valkeyAdmin });
  await valkey.connect();
  return {
    kafkaBrokers: servers.kafkaBrokers,
    valkeyUrl: servers.valkeyUrl,
    valkeyCredential: servers.valkeyConsumer,
    kafkaPid: servers.infra?.kafka.pid ?? pidListeningOn(Number(servers.kafkaBrokers.split(',')[0].split(':')[1])),
    valkeyPid: servers.infra?.valkey.pid ?? pidListeningOn(servers.valkeyPort),
    scenario,
    portOffset,
    logDir: runDir('logs-bench'),
    valkey,
    admin,
    groupId: 'oleada-consumer',
    log,
  };
}

/** What every section is given: the options, the servers, and the load's route and bodies. */
interface BenchRun extends BenchOptions {
  readonly servers: Servers;
  readonly env: BenchEnv;
  readonly route: string;
  readonly bodies: BodyPool;
}

/** What the sections measured; a section that fails keeps what it had added before it failed. */
interface Measured {
  bare?: BareResult;
  hops: HopRow[];
  valkey: ValkeyReplicaRow[];
  sweep: StackRunResult[];
  sustained?: StackRunResult;
  sustainedOffered?: StackRunResult;
  writers: StackRunResult[];
  brokers: StackRunResult[];
  brokersPending?: string;
  direct: StackRunResult[];
  profile: AppProfile[];
  profileRun?: StackRunResult;
  traces?: TimeSplitResult;
  ab?: AbResult;
  /** Flame graph SVGs by file name, written beside the report. */
  readonly flameGraphs: Map<string, string>;
  readonly failures: Array<{ section: string; error: string }>;
}

/** Runs one section if it was asked for; a failure is recorded in the report instead of ending the run. */
async function section<T>(run: BenchRun, name: Section, failures: Array<{ section: string; error: string }>, measure: () => Promise<T>): Promise<T | undefined> {
  if (!run.only.has(name)) return undefined;
  try {
    return await measure();
  } catch (error) {
    // The first lines: server errors carry whole log tails.
    const message = ((error as Error).stack ?? String(error)).split('\n').slice(0, 8).join('\n');
    log(`${name} failed: ${message}`);
    failures.push({ section: name, error: (error as Error).message });
    return undefined;
  }
}

/** Closed-loop load on the stack's gateway for `seconds`, every outcome known. */
function saturationLoad(run: BenchRun, stack: { gatewayUrl: string }, seconds: number) {
  return () => saturateFor({ baseUrl: stack.gatewayUrl, path: run.route, connections: run.plan.connections, seconds, body: run.bodies.take });
}

/** The warm-up every stack gets before it is measured (not reported). */
function warmUp(run: BenchRun, stack: { gatewayUrl: string }): Promise<unknown> {
  return pacedLoad({ baseUrl: stack.gatewayUrl, path: run.route, rate: 300, seconds: run.plan.warmupSeconds, body: run.bodies.at });
}

/** Every section asked for, in order; later ones read what earlier ones measured (writers: the sweep's saturation run). */
async function runSections(run: BenchRun, measured: Measured): Promise<void> {
  const { failures } = measured;
  measured.bare = await section(run, 'bare', failures, () => measureBare(run));
  measured.hops =
    (await section(run, 'hops', failures, () => compareHops({ scenario: run.env.scenario, restPort: run.helperPorts.rest, grpcPort: run.helperPorts.grpc, seconds: run.plan.hopSeconds, log }))) ?? [];
  measured.valkey =
    (await section(run, 'valkey', failures, () => compareValkeyReplicas({ scenario: run.env.scenario, basePort: run.servers.valkeyPort + 1, seconds: run.plan.valkeySeconds, log }))) ?? [];
  await section(run, 'sweep', failures, () => measureSweep(run, measured));
  await section(run, 'writers', failures, () => compareWriters(run, measured));
  await section(run, 'brokers', failures, () => compareBrokers(run, measured));
  await section(run, 'profile', failures, () => profileStack(run, measured));
  await section(run, 'direct', failures, () => measureDirect(run, measured));
  // Its own traced stack: every other section's figures are with tracing off.
  const { plan } = run;
  measured.traces = await section(run, 'traces', failures, () =>
    runTimeSplit(run.env, run.variants.default, { ratio: Number(run.args['trace-ratio']), jaegerPort: benchJaegerPort(run.args), rate: 250, connections: plan.connections, seconds: plan.stepSeconds, warmupSeconds: plan.warmupSeconds }, run.bodies, run.route),
  );
  measured.ab = await section(run, 'ab', failures, () => runBenchAb(run.env, run.variants.default, run.args, run.bodies, run.route));
}

/** bare: a Node HTTP server that only answers, under the same generator: the single-hop upper bound. */
async function measureBare(run: BenchRun): Promise<BareResult> {
  const { plan, helperPorts, route, bodies } = run;
  log(`bare Node HTTP server: ${plan.connections} connections for ${plan.bareSeconds} s`);
  const server = await ChildServer.start('bare-server', [String(helperPorts.bare)]);
  try {
    const sampler = new ProcessSampler([
      { name: 'bare server', pid: server.pid },
      { name: 'load generator', pid: process.pid },
    ]);
    await saturate({ baseUrl: `http://127.0.0.1:${helperPorts.bare}`, path: route, connections: plan.connections, seconds: 1, body: bodies.take });
    sampler.start();
    const load = await saturate({ baseUrl: `http://127.0.0.1:${helperPorts.bare}`, path: route, connections: plan.connections, seconds: plan.bareSeconds, body: bodies.take });
    const result = { connections: plan.connections, load, requestsPerSecond: load.accepted / load.seconds, processes: sampler.stop(load.accepted) };
    log(`bare: ${result.requestsPerSecond.toFixed(0)} requests/s, p50 ${load.latency.p50.toFixed(1)} ms, p99 ${load.latency.p99.toFixed(1)} ms`);
    return result;
  } finally {
    await server.stop();
  }
}

/** sweep: the default stack at each offered rate, then the sustained rate and a sustained saturation run. */
async function measureSweep(run: BenchRun, measured: Measured): Promise<void> {
  const { env, plan, route, bodies } = run;
  await startBenchStack(env, run.variants.default, async (stack) => {
    log(`warm-up: 300 events/s for ${plan.warmupSeconds} s (not reported)`);
    await warmUp(run, stack);
    for (const rate of plan.rates) {
      measured.sweep.push(
        await measureStackRun(env, stack, `${rate}/s offered`, () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate, seconds: plan.stepSeconds, body: bodies.at }), {
          offeredRate: rate,
        }),
      );
    }
    log(`sustained: ${plan.sustainedRate}/s offered for ${plan.sustainedSeconds} s`);
    measured.sustainedOffered = await measureStackRun(
      env,
      stack,
      `${plan.sustainedRate}/s offered for ${plan.sustainedSeconds} s`,
      () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.sustainedRate, seconds: plan.sustainedSeconds, body: bodies.at }),
      { offeredRate: plan.sustainedRate },
    );
    log(`sustained saturation: ${plan.connections} connections for ${plan.sustainedSeconds} s`);
    measured.sustained = await measureStackRun(env, stack, `saturation, ${plan.connections} connections`, saturationLoad(run, stack, plan.sustainedSeconds), { connections: plan.connections });
  });
}

/** writers: saturation with one and with two writer processes, beside the default's (three) from the sweep. */
async function compareWriters(run: BenchRun, measured: Measured): Promise<void> {
  const { env, plan, variants } = run;
  for (const variant of [variants.oneWriter, variants.twoWriters]) {
    await startBenchStack(env, variant, async (stack) => {
      await warmUp(run, stack);
      measured.writers.push(await measureStackRun(env, stack, variant.label, saturationLoad(run, stack, plan.comparisonSeconds), { connections: plan.connections }));
    });
  }
  if (measured.sustained) measured.writers.push({ ...measured.sustained, label: `${variants.default.label} (default)` });
}

/** brokers: saturation through Kafka and through RabbitMQ (the one in RABBITMQ_URL, else started here). */
async function compareBrokers(run: BenchRun, measured: Measured): Promise<void> {
  const { env, plan, variants } = run;
  let rabbit: RabbitMQHandle | undefined;
  try {
    if (process.env.RABBITMQ_URL) {
      log('using the RabbitMQ in RABBITMQ_URL');
      const url = new URL(process.env.RABBITMQ_URL);
      const rabbitEnv = Object.fromEntries(['RABBITMQ_URL', 'RABBITMQ_USERNAME', 'RABBITMQ_PASSWORD'].filter((k) => process.env[k]).map((k) => [k, process.env[k] as string]));
      env.rabbitmq = { env: rabbitEnv, pid: pidListeningOn(Number(url.port || 5672)) };
    } else {
      const port = Number(run.args['rabbitmq-port'] ?? DEFAULT_RABBITMQ_PORT);
      log(`starting (or reusing) RabbitMQ on ${port}`);
      try {
        rabbit = await startRabbitMQ({ port });
      } catch (error) {
        measured.brokersPending = `RabbitMQ could not be started on this machine: ${(error as Error).message.split('\n')[0]}`;
        throw error;
      }
      // The process holding the AMQP port is the broker itself (rabbit.pid may be its start script).
      env.rabbitmq = { env: rabbit.env, pid: pidListeningOn(port) ?? rabbit.pid };
    }
    for (const variant of [variants.default, variants.rabbitmq]) {
      await startBenchStack(env, variant, async (stack) => {
        await warmUp(run, stack);
        measured.brokers.push(await measureStackRun(env, stack, variant.broker, saturationLoad(run, stack, plan.comparisonSeconds), { connections: plan.connections }));
      });
    }
  } finally {
    await rabbit?.stop();
  }
}

/** The wall-clock window, in µs of process.hrtime, whose CPU profile samples count. */
interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

function hrtimeMicroseconds(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** profile: a saturation run of the default stack with every app under `node --cpu-prof`; summaries and flame graphs. */
async function profileStack(run: BenchRun, measured: Measured): Promise<void> {
  const { env, plan, nodeArgs } = run;
  const keep = run.args['profile-dir'] as string | undefined;
  const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'oleada-cpu-prof-'));
  mkdirSync(dir, { recursive: true });
  const window: ProfileWindow = { fromUs: 0, toUs: 0 };
  const pids = new Map<string, number>();
  try {
    await startBenchStack(env, { ...run.variants.default, nodeArgs: [nodeArgs, `--cpu-prof --cpu-prof-dir=${dir}`].filter(Boolean).join(' ') }, async (stack) => {
      await warmUp(run, stack);
      for (const app of stack.apps) if (app.pid) pids.set(app.spec.name, app.pid);
      window.fromUs = hrtimeMicroseconds();
      measured.profileRun = await measureStackRun(env, stack, `profiled saturation, ${plan.connections} connections`, saturationLoad(run, stack, plan.profileSeconds), {
        connections: plan.connections,
      });
      window.toUs = hrtimeMicroseconds();
    });
    measured.profile = profilesOf(dir, pids, window, measured.profileRun, '', measured.flameGraphs);
    if (measured.profile.length === 0) throw new Error(`no CPU profiles were written to ${dir}`);
    for (const p of measured.profile) log(`profile ${p.app}: ${p.summary.components.slice(0, 4).map((c) => `${c.name} ${(c.share * 100).toFixed(0)}%`).join(', ')}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The --app-env pairs (NAME=value,…) as an environment. */
function appEnvOf(pairs: string | undefined): Record<string, string> {
  return Object.fromEntries((pairs ?? '').split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

/** direct: EventBatchService calls straight to the writers (--direct-*), profiled when --profile-dir is given. */
async function measureDirect(run: BenchRun, measured: Measured): Promise<void> {
  const { env, args, plan, nodeArgs } = run;
  const keep = args['profile-dir'] as string | undefined;
  const dir = keep ? resolve(keep, 'direct') : undefined;
  if (dir) mkdirSync(dir, { recursive: true });
  const batchSize = Number(args['direct-batch']);
  const concurrency = Number(args['direct-concurrency']);
  const rate = args['direct-rate'] ? Number(args['direct-rate']) : undefined;
  const seconds = Number(args['direct-seconds']);
  const window: ProfileWindow = { fromUs: 0, toUs: 0 };
  const pids = new Map<string, number>();
  const writerCount = args['direct-writers'] ? Number(args['direct-writers']) : undefined;
  const appEnv = appEnvOf(args['app-env'] as string | undefined);
  const base: StackVariant = writerCount ? { label: `${writerCount} writers`, writers: writerCount, broker: 'kafka', options: { writerCount } } : run.variants.default;
  const envLabel = Object.entries(appEnv).map(([name, value]) => `${name}=${value}`).join(' ');
  const variant: StackVariant = envLabel ? { ...base, label: `${base.label} (${envLabel})`, options: { ...base.options, env: appEnv } } : base;
  await startBenchStack(env, { ...variant, nodeArgs: [nodeArgs, dir ? `--cpu-prof --cpu-prof-dir=${dir}` : ''].filter(Boolean).join(' ') || undefined }, async (stack) => {
    const targets = stack.writers.map((w) => `127.0.0.1:${w.spec.env.GRPC_PORT}`);
    const batchesFor = (forSeconds: number) => () => writeBatchLoad({ scenario: env.scenario, targets, batchSize, concurrency, seconds: forSeconds, rate });
    await batchesFor(plan.warmupSeconds)();
    for (const app of stack.apps) if (app.pid) pids.set(app.spec.name, app.pid);
    window.fromUs = hrtimeMicroseconds();
    const label = `WriteBatch of ${batchSize}, ${rate ? `${rate} events/s offered, at most ` : ''}${concurrency} calls in flight, straight to ${variant.label}${dir ? ', profiled' : ''}`;
    const measuredRun = await measureStackRun(env, stack, label, batchesFor(seconds), { connections: concurrency, offeredRate: rate });
    log(`direct: ${measuredRun.hops.recordsPerProduce?.toFixed(1) ?? '?'} records per produce request`);
    measured.direct.push(measuredRun);
    window.toUs = hrtimeMicroseconds();
  });
  if (dir) measured.profile.push(...profilesOf(dir, pids, window, measured.direct[measured.direct.length - 1], ' (direct)', measured.flameGraphs));
}

/** results.json's content: what was measured, with the run's provenance, the targets' verdicts and the comparison with the baseline. */
function assembleReport(run: BenchRun, measured: Measured, began: number, loadBefore: [number, number, number]): BenchReport {
  const { plan, quick, nodeArgs } = run;
  const { sweep, sustained, sustainedOffered, writers, brokers, profileRun, bare, direct } = measured;
  const loadAfter = loadAverages();
  const previous = readBaseline(baselineFile(run.place, run.args.baseline as string | undefined));
  return {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.replace(/ -- $/, ''),
    commit: gitCommit(),
    quick,
    minutes: (Date.now() - began) / 60_000,
    scenario: run.env.scenario.name,
    machine: describeMachine({ valkeyBinary: safeValkeyBinary(), kafka: KAFKA_VERSION }),
    loadAverage: { before: loadBefore, after: loadAfter },
    settings: { rates: plan.rates, stepSeconds: plan.stepSeconds, saturationConnections: plan.connections, sustainedSeconds: plan.sustainedSeconds, sustainedRate: plan.sustainedRate, comparisonSeconds: plan.comparisonSeconds, nodeArgs },
    bare,
    sweep,
    sustained,
    sustainedOffered,
    valkey: measured.valkey,
    hops: measured.hops,
    writers,
    brokers,
    brokersPending: measured.brokersPending,
    direct,
    profile: measured.profile,
    profileRun,
    traces: measured.traces,
    ab: measured.ab,
    targets: checkTargets({ sweep, sustained, sustainedOffered, writers, brokers, quick }),
    baseline: previous && {
      generatedAt: previous.generatedAt,
      command: previous.command,
      commit: previous.commit,
      loadAverageBefore: previous.loadAverage.before,
    },
    regression: previous && regressionRows(previous, { sustained, sustainedOffered, profileRun, sweep, bare, direct }),
    failures: measured.failures,
  };
}

/** Starts the servers, runs the sections asked for, writes the report; exits 1 when a section failed. */
async function main(): Promise<void> {
  const options = benchOptions(parseOptions());
  const began = Date.now();
  const scenario = getScenario(options.args.scenario as string);
  const loadBefore = loadAverages();
  log(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(', ')}${options.quick ? ' (quick run)' : ''}`);
  const servers = await startServers(options.args);
  const env = await connectBenchEnv(servers, scenario, options.portOffset);
  const run: BenchRun = { ...options, servers, env, route: canonicalRoute(scenario), bodies: new BodyPool(scenario) };
  const measured: Measured = { hops: [], valkey: [], sweep: [], writers: [], brokers: [], direct: [], profile: [], flameGraphs: new Map(), failures: [] };
  try {
    await runSections(run, measured);
    const report = assembleReport(run, measured, began, loadBefore);
    const written = await writeBenchReport(report, run.place, measured.flameGraphs);
    printSummary(report, written);
    if (measured.failures.length) process.exitCode = 1;
  } finally {
    env.valkey.disconnect();
    await env.admin.disconnect();
    await servers.infra?.stop();
  }
}

function safeValkeyBinary(): string | undefined {
  try {
    return valkeyServerBinary();
  } catch {
    return undefined;
  }
}

/**
 * Each app's profile summary and flame graph (`flame-<app><suffix>.svg`, kept in `flameGraphs`),
 * from the samples inside `window`; `run` gives the events, for the cost per event in the title.
 */
function profilesOf(dir: string, pids: ReadonlyMap<string, number>, window: { fromUs: number; toUs: number }, run: StackRunResult | undefined, suffix: string, flameGraphs: Map<string, string>): AppProfile[] {
  return [...pids].flatMap(([app, pid]) => {
    const cpuProfile: CpuProfile | undefined = readProfileOf(dir, pid);
    if (!cpuProfile) return [];
    const tree = flameTree(cpuProfile, window);
    const file = `flame-${app}${suffix.replace(/\W+/g, '-').replace(/-$/, '')}.svg`;
    const events = run ? Math.max(run.counted, run.load.accepted) : 0;
    const perEvent = events > 0 ? `, ${(tree.total / 1000 / events).toFixed(3)} CPU-ms per counted event` : '';
    flameGraphs.set(file, renderFlameGraph(tree, { title: `${app}: CPU profile of ${run?.label ?? 'the profiled run'}${perEvent}` }));
    return [{ app: `${app}${suffix}`, summary: summarizeProfile(cpuProfile, window), flameGraph: file, widest: widestFrames(tree, 8, isOwnOrPackageFrame) }];
  });
}

/** The results.json of an earlier run, if there is one to compare with. */
function readBaseline(path: string): BenchReport | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  } catch (error) {
    log(`cannot read the previous results (${path}): ${(error as Error).message}; no comparison`);
    return undefined;
  }
}

/** The measured commit, marked when the tree had uncommitted changes. */
function gitCommit(): string | undefined {
  try {
    const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: repoRoot(), encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head} + uncommitted changes` : head;
  } catch {
    return undefined;
  }
}

/** The summary on stdout; `reports` are the README.md files written (this run's, and the docs' when asked). */
function printSummary(report: BenchReport, reports: readonly string[]): void {
  const lines = ['', `Oleada benchmark (${report.quick ? 'quick' : 'full'}, ${report.minutes.toFixed(1)} min, load average ${report.loadAverage.before.map((v) => v.toFixed(2)).join(' ')} → ${report.loadAverage.after.map((v) => v.toFixed(2)).join(' ')})`];
  for (const r of report.sweep) {
    lines.push(
      `  ${String(r.offeredRate).padStart(5)}/s offered: ${r.acceptedRate.toFixed(0).padStart(5)} accepted/s, ${r.endToEndRate.toFixed(0).padStart(5)} counted/s, p99 ${r.load.latency.p99.toFixed(1).padStart(7)} ms, lag max ${r.lag.max}`,
    );
  }
  if (report.sustainedOffered) {
    const o = report.sustainedOffered;
    lines.push(`  sustained ${o.offeredRate}/s offered: ${o.acceptedRate.toFixed(0)} accepted/s, ${o.endToEndRate.toFixed(0)} events/s end to end, p99 ${o.load.latency.p99.toFixed(1)} ms, accepted=${o.load.accepted} counted=${o.counted} not offered=${o.load.dropped} lost=${o.lost} duplicates=${o.duplicates}`);
  }
  if (report.sustained) {
    const s = report.sustained;
    lines.push(`  saturation (${s.connections} conns): ${s.endToEndRate.toFixed(0)} events/s end to end for ${s.endToEndSeconds.toFixed(1)} s, accepted=${s.load.accepted} counted=${s.counted} lost=${s.lost} duplicates=${s.duplicates}`);
  }
  if (report.bare) lines.push(`  bare Node HTTP upper bound: ${report.bare.requestsPerSecond.toFixed(0)} req/s${report.sustained ? ` (Oleada ${((report.sustained.acceptedRate / report.bare.requestsPerSecond) * 100).toFixed(1)} % of it)` : ''}`);
  for (const t of report.targets) lines.push(`  target ${t.met === undefined ? 'NOT MEASURED' : t.met ? 'MET   ' : 'MISSED'}  ${t.target}: ${t.measured}`);
  for (const f of report.failures) lines.push(`  section ${f.section} FAILED: ${f.error.split('\n')[0]}`);
  for (const file of reports) lines.push(`  report: ${relative(process.cwd(), file) || file}`);
  lines.push('');
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

