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
import { canonicalRoute, getScenario, SCENARIOS } from '@oleada/scenarios';
import { createLogger } from '@oleada/shared';
import Valkey from 'iovalkey';
import { AB_OPTIONS, checkAbOptions, wantsAb } from '../ab/options';
import { runBenchAb } from '../ab/section';
import { compareHops } from '../compare/hops';
import { compareValkeyReplicas } from '../compare/valkey-replicas';
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
import { runTimeSplit } from '../trace/section';

const SECTIONS = ['bare', 'sweep', 'valkey', 'hops', 'writers', 'brokers', 'profile', 'traces', 'direct', 'ab'] as const;
type Section = (typeof SECTIONS)[number];

/** A comma-separated list whose every item passes `ok`: the problem, or undefined. */
const listOf = (what: string, ok: (item: string) => boolean) => (text: string) => (text.split(',').every(ok) ? undefined : `must be a comma-separated list of ${what}`);

const { values: args } = parseCli({
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
    only: opt.string(`sections to run (${SECTIONS.join(', ')})`, { valueName: 'A,B', check: listOf('sections', (s) => (SECTIONS as readonly string[]).includes(s)), defaultText: 'all but direct and ab (and traces with --quick); with --ab, --ab-planted or --ab-tracing, ab only' }),
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
});

function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

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

async function infraFor(): Promise<Servers> {
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

/** Runs one section; a failure is recorded in the report instead of ending the run. */
async function section<T>(name: Section, failures: Array<{ section: string; error: string }>, run: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined;
  try {
    return await run();
  } catch (error) {
    // The first lines: server errors carry whole log tails.
    const message = ((error as Error).stack ?? String(error)).split('\n').slice(0, 8).join('\n');
    log(`${name} failed: ${message}`);
    failures.push({ section: name, error: (error as Error).message });
    return undefined;
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const scenario = getScenario(args.scenario as string);
  const loadBefore = loadAverages();
  log(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(', ')}${quick ? ' (quick run)' : ''}`);
  const servers = await infraFor();
  const kafka = createKafka({ brokers: servers.kafkaBrokers.split(','), clientId: 'oleada-bench' }, createLogger('bench', 'error'));
  const admin = kafka.admin();
  await admin.connect();
  const valkey = new Valkey(servers.valkeyUrl, { lazyConnect: true, maxRetriesPerRequest: 2, ...servers.valkeyAdmin });
  await valkey.connect();
  const env: BenchEnv = {
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
  const bodies = new BodyPool(scenario);
  const route = canonicalRoute(scenario);
  const failures: Array<{ section: string; error: string }> = [];
  const sweep: StackRunResult[] = [];
  let sustained: StackRunResult | undefined;
  let sustainedOffered: StackRunResult | undefined;
  const writers: StackRunResult[] = [];
  const brokers: StackRunResult[] = [];
  const direct: StackRunResult[] = [];
  let brokersPending: string | undefined;
  let profile: AppProfile[] = [];
  /** Flame graph SVGs by file name, written beside the report. */
  const flameGraphs = new Map<string, string>();
  let profileRun: StackRunResult | undefined;
  /** Closed-loop load on the stack's gateway for `seconds`, every outcome known. */
  const saturation = (stack: { gatewayUrl: string }, seconds: number) => () =>
    saturateFor({ baseUrl: stack.gatewayUrl, path: route, connections: plan.connections, seconds, body: bodies.take });

  try {
    const bare = await section('bare', failures, async (): Promise<BareResult> => {
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
    });

    const hops = (await section('hops', failures, () => compareHops({ scenario, restPort: helperPorts.rest, grpcPort: helperPorts.grpc, seconds: plan.hopSeconds, log }))) ?? [];

    const valkeyRows =
      (await section('valkey', failures, () => compareValkeyReplicas({ scenario, basePort: servers.valkeyPort + 1, seconds: plan.valkeySeconds, log }))) ?? [];

    await section('sweep', failures, async () => {
      await startBenchStack(env, variants.default, async (stack) => {
        log(`warm-up: 300 events/s for ${plan.warmupSeconds} s (not reported)`);
        await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
        for (const rate of plan.rates) {
          sweep.push(
            await measureStackRun(env, stack, `${rate}/s offered`, () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate, seconds: plan.stepSeconds, body: bodies.at }), {
              offeredRate: rate,
            }),
          );
        }
        log(`sustained: ${plan.sustainedRate}/s offered for ${plan.sustainedSeconds} s`);
        sustainedOffered = await measureStackRun(
          env,
          stack,
          `${plan.sustainedRate}/s offered for ${plan.sustainedSeconds} s`,
          () => pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: plan.sustainedRate, seconds: plan.sustainedSeconds, body: bodies.at }),
          { offeredRate: plan.sustainedRate },
        );
        log(`sustained saturation: ${plan.connections} connections for ${plan.sustainedSeconds} s`);
        sustained = await measureStackRun(env, stack, `saturation, ${plan.connections} connections`, saturation(stack, plan.sustainedSeconds), { connections: plan.connections });
      });
    });

    await section('writers', failures, async () => {
      for (const variant of [variants.oneWriter, variants.twoWriters]) {
        await startBenchStack(env, variant, async (stack) => {
          await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
          writers.push(await measureStackRun(env, stack, variant.label, saturation(stack, plan.comparisonSeconds), { connections: plan.connections }));
        });
      }
      if (sustained) writers.push({ ...sustained, label: `${variants.default.label} (default)` });
    });

    await section('brokers', failures, async () => {
      let rabbit: RabbitMQHandle | undefined;
      try {
        if (process.env.RABBITMQ_URL) {
          log('using the RabbitMQ in RABBITMQ_URL');
          const url = new URL(process.env.RABBITMQ_URL);
          const rabbitEnv = Object.fromEntries(['RABBITMQ_URL', 'RABBITMQ_USERNAME', 'RABBITMQ_PASSWORD'].filter((k) => process.env[k]).map((k) => [k, process.env[k] as string]));
          env.rabbitmq = { env: rabbitEnv, pid: pidListeningOn(Number(url.port || 5672)) };
        } else {
          const port = Number(args['rabbitmq-port'] ?? DEFAULT_RABBITMQ_PORT);
          log(`starting (or reusing) RabbitMQ on ${port}`);
          try {
            rabbit = await startRabbitMQ({ port });
          } catch (error) {
            brokersPending = `RabbitMQ could not be started on this machine: ${(error as Error).message.split('\n')[0]}`;
            throw error;
          }
          // The process holding the AMQP port is the broker itself (rabbit.pid may be its start script).
          env.rabbitmq = { env: rabbit.env, pid: pidListeningOn(port) ?? rabbit.pid };
        }
        for (const variant of [variants.default, variants.rabbitmq]) {
          await startBenchStack(env, variant, async (stack) => {
            await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
            brokers.push(await measureStackRun(env, stack, variant.broker, saturation(stack, plan.comparisonSeconds), { connections: plan.connections }));
          });
        }
      } finally {
        await rabbit?.stop();
      }
    });

    await section('profile', failures, async () => {
      const keep = args['profile-dir'] as string | undefined;
      const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'oleada-cpu-prof-'));
      mkdirSync(dir, { recursive: true });
      const window = { fromUs: 0, toUs: 0 };
      const pids = new Map<string, number>();
      try {
        await startBenchStack(env, { ...variants.default, nodeArgs: [nodeArgs, `--cpu-prof --cpu-prof-dir=${dir}`].filter(Boolean).join(' ') }, async (stack) => {
          await pacedLoad({ baseUrl: stack.gatewayUrl, path: route, rate: 300, seconds: plan.warmupSeconds, body: bodies.at });
          for (const app of stack.apps) if (app.pid) pids.set(app.spec.name, app.pid);
          window.fromUs = Number(process.hrtime.bigint() / 1000n);
          profileRun = await measureStackRun(env, stack, `profiled saturation, ${plan.connections} connections`, saturation(stack, plan.profileSeconds), {
            connections: plan.connections,
          });
          window.toUs = Number(process.hrtime.bigint() / 1000n);
        });
        profile = profilesOf(dir, pids, window, profileRun, '', flameGraphs);
        if (profile.length === 0) throw new Error(`no CPU profiles were written to ${dir}`);
        for (const p of profile) log(`profile ${p.app}: ${p.summary.components.slice(0, 4).map((c) => `${c.name} ${(c.share * 100).toFixed(0)}%`).join(', ')}`);
      } finally {
        if (!keep) rmSync(dir, { recursive: true, force: true });
      }
    });

    await section('direct', failures, async () => {
      const keep = args['profile-dir'] as string | undefined;
      const dir = keep ? resolve(keep, 'direct') : undefined;
      if (dir) mkdirSync(dir, { recursive: true });
      const batchSize = Number(args['direct-batch']);
      const concurrency = Number(args['direct-concurrency']);
      const rate = args['direct-rate'] ? Number(args['direct-rate']) : undefined;
      const seconds = Number(args['direct-seconds']);
      const window = { fromUs: 0, toUs: 0 };
      const pids = new Map<string, number>();
      const writerCount = args['direct-writers'] ? Number(args['direct-writers']) : undefined;
      const appEnv = Object.fromEntries(((args['app-env'] as string | undefined) ?? '').split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      const base: StackVariant = writerCount ? { label: `${writerCount} writers`, writers: writerCount, broker: 'kafka', options: { writerCount } } : variants.default;
      const envLabel = Object.entries(appEnv).map(([k, v]) => `${k}=${v}`).join(' ');
      const variant: StackVariant = envLabel ? { ...base, label: `${base.label} (${envLabel})`, options: { ...base.options, env: appEnv } } : base;
      await startBenchStack(env, { ...variant, nodeArgs: [nodeArgs, dir ? `--cpu-prof --cpu-prof-dir=${dir}` : ''].filter(Boolean).join(' ') || undefined }, async (stack) => {
        const targets = stack.writers.map((w) => `127.0.0.1:${w.spec.env.GRPC_PORT}`);
        const drive = (s: number) => () => writeBatchLoad({ scenario, targets, batchSize, concurrency, seconds: s, rate });
        await drive(plan.warmupSeconds)();
        for (const app of stack.apps) if (app.pid) pids.set(app.spec.name, app.pid);
        window.fromUs = Number(process.hrtime.bigint() / 1000n);
        const label = `WriteBatch of ${batchSize}, ${rate ? `${rate} events/s offered, at most ` : ''}${concurrency} calls in flight, straight to ${variant.label}${dir ? ', profiled' : ''}`;
        const run = await measureStackRun(env, stack, label, drive(seconds), { connections: concurrency, offeredRate: rate });
        log(`direct: ${run.hops.recordsPerProduce?.toFixed(1) ?? '?'} records per produce request`);
        direct.push(run);
        window.toUs = Number(process.hrtime.bigint() / 1000n);
      });
      if (dir) profile.push(...profilesOf(dir, pids, window, direct[direct.length - 1], ' (direct)', flameGraphs));
    });

    // Its own traced stack: every other section's figures are with tracing off.
    const traces = await section('traces', failures, () =>
      runTimeSplit(env, variants.default, { ratio: Number(args['trace-ratio']), jaegerPort: benchJaegerPort(args), rate: 250, connections: plan.connections, seconds: plan.stepSeconds, warmupSeconds: plan.warmupSeconds }, bodies, route),
    );

    const ab = await section('ab', failures, () => runBenchAb(env, variants.default, args, bodies, route));

    const loadAfter = loadAverages();
    const previous = readBaseline(baselineFile(place, args.baseline as string | undefined));
    const partial = { sweep, sustained, sustainedOffered, writers, brokers, quick };
    const report: BenchReport = {
      generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.replace(/ -- $/, ''),
      commit: gitCommit(),
      quick,
      minutes: (Date.now() - began) / 60_000,
      scenario: scenario.name,
      machine: describeMachine({ valkeyBinary: safeValkeyBinary(), kafka: KAFKA_VERSION }),
      loadAverage: { before: loadBefore, after: loadAfter },
      settings: { rates: plan.rates, stepSeconds: plan.stepSeconds, saturationConnections: plan.connections, sustainedSeconds: plan.sustainedSeconds, sustainedRate: plan.sustainedRate, comparisonSeconds: plan.comparisonSeconds, nodeArgs },
      bare,
      sweep,
      sustained,
      sustainedOffered,
      valkey: valkeyRows,
      hops,
      writers,
      brokers,
      brokersPending,
      direct,
      profile,
      profileRun,
      traces,
      ab,
      targets: checkTargets(partial),
      baseline: previous && {
        generatedAt: previous.generatedAt,
        command: previous.command,
        commit: previous.commit,
        loadAverageBefore: previous.loadAverage.before,
      },
      regression: previous && regressionRows(previous, { sustained, sustainedOffered, profileRun, sweep, bare, direct }),
      failures,
    };
    const written = await writeBenchReport(report, place, flameGraphs);
    printSummary(report, written);
    if (failures.length) process.exitCode = 1;
  } finally {
    valkey.disconnect();
    await admin.disconnect();
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
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repoRoot(), encoding: 'utf8' }).trim();
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

