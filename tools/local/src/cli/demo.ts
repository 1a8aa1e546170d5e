import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { canonicalRoute, getScenario, SCENARIOS, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { meanFields, readAggregates, ScenarioKeys, type AggregateSnapshot } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { opt, parseCli } from '../cli-args';
import { describeInfra, ensureInfra, repoRoot, runDir, stopRecordedServers, valkeyClientEnv, type ValkeyCredential } from '../infra';
import { percentile, postEvents, totalMetric, waitCounted } from '../load';
import { LocalStack, STACK_BROKERS, type StackPath } from '../stack';

/** Where the demo's servers listen, and what it adds to the apps' local ports (18780 for the gateway). */
const DEMO_PORTS = { kafka: 23092, valkey: 23379, rabbitmq: 23673, appOffset: 700 } as const;

const { values: args } = parseCli({
  usage: 'npm run demo --',
  summary:
    'Starts Kafka, Valkey (and RabbitMQ) and every app of its own on loopback, sends sample events through the chain,\n' +
    'prints what Valkey counted and draws the dashboard as a PNG in .cache/dashboard/, then stops what it started.',
  options: {
    scenario: opt.choice('scenario whose events are sent', SCENARIOS.map((s) => s.name), { default: 'blackfriday' }),
    broker: opt.choice('broker that carries the events', STACK_BROKERS, { default: 'kafka' }),
    events: opt.int('events to send', { default: 10_000, min: 1 }),
    concurrency: opt.int('requests in flight at once', { default: 64, min: 1 }),
    seed: opt.int('seed of the sample events (the same seed sends the same events)', { default: 20261128, min: 0 }),
    // The demo's own servers and apps, fresh each run, on ports of their own: it never shares a
    // server, consumer group or key with a running `npm start` or `npm run infra -- up`, nor with
    // the tests (24092, 24379, 24673, app offsets 300-950).
    'kafka-port': opt.port("the demo's Kafka (the next port is its controller)", { default: DEMO_PORTS.kafka }),
    'valkey-port': opt.port("the demo's Valkey", { default: DEMO_PORTS.valkey }),
    'rabbitmq-port': opt.port("the demo's RabbitMQ (and the next two ports)", { default: DEMO_PORTS.rabbitmq }),
    'port-offset': opt.int("added to the apps' local ports (gateway 18080 + offset)", { default: DEMO_PORTS.appOffset, min: 0, max: 40_000 }),
    host: opt.ipv4('address the apps listen on (0.0.0.0: every address)', { default: '127.0.0.1' }),
  },
});

function log(message: string): void {
  process.stdout.write(`[demo] ${message}\n`);
}

function delta(after: Record<string, number> = {}, before: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(after)) out[field] = value - (before[field] ?? 0);
  return out;
}

/** One column of the table: a heading and the value of a row. */
interface Column {
  readonly heading: string;
  readonly value: (row: string) => string;
}

/**
 * The table the Grafana panels show, one row per field of the headline hash: beside it every hash
 * and mean over the same fields, and the grouped hashes whose groups are those fields (one column
 * per field of theirs). Values are this run's deltas.
 */
function printTable(scenario: AnyScenario, before: AggregateSnapshot, after: AggregateSnapshot, label: string): void {
  const headline = scenario.aggregates.find((a) => a.kind === 'hash' && a.metric === scenario.headline);
  if (!headline || headline.kind !== 'hash') return;
  const rows = headline.fields;
  const sameFields = (fields: readonly string[]) => fields.length === rows.length && fields.every((f, i) => f === rows[i]);
  const columns: Column[] = [];
  for (const a of scenario.aggregates) {
    if (a.kind === 'hash' && !a.group && sameFields(a.fields)) {
      const values = delta(after.hashes[a.metric], before.hashes[a.metric]);
      columns.push({ heading: a.scale ? `${a.title} (${a.unit ?? ''})` : a.title, value: (row) => (a.scale ? ((values[row] ?? 0) / a.scale).toFixed(2) : String(values[row] ?? 0)) });
    } else if (a.kind === 'mean' && sameFields(a.fields)) {
      const values = delta(after.hashes[a.metric], before.hashes[a.metric]);
      columns.push({
        heading: `${a.title} (${a.unit ?? ''})`,
        value: (row) => {
          const { sum, count } = meanFields(row);
          return values[count] ? ((values[sum] ?? 0) / values[count] / (a.scale ?? 1)).toFixed(1) : '-';
        },
      });
    } else if (a.kind === 'hash' && a.group && sameFields(a.group.values)) {
      for (const field of a.fields) {
        columns.push({ heading: `${a.title}: ${field}`, value: (row) => String(delta(after.hashes[`${a.metric}:${row}`], before.hashes[`${a.metric}:${row}`])[field] ?? 0) });
      }
    }
  }
  const header = ['', ...columns.map((c) => c.heading)];
  const cells = rows.map((row) => [row, ...columns.map((c) => c.value(row))]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (parts: string[]) => parts.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${scenario.title}${label} — what the "${headline.title}" panels show:\n`);
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of cells) process.stdout.write(`${line(row)}\n`);
  process.stdout.write('\n');
}

/**
 * The scenario's dashboard drawn from live Valkey as a PNG, by the dashboard preview's CLI
 * (tools/dashboard, which builds on this tool, so it runs as a process). Returns the PNG's path;
 * throws with the CLI's message (e.g. how to install Chromium) when it cannot.
 */
function writeDashboardPng(options: { valkeyUrl: string; scenario: string; outFile: string; variant?: string; credential?: ValkeyCredential }): string {
  const cli = join(repoRoot(), 'tools', 'dashboard', 'dist', 'cli.js');
  const variant = options.variant ? ['--variant', options.variant] : [];
  const run = spawnSync(process.execPath, [cli, 'png', '--valkey-url', options.valkeyUrl, '--scenario', options.scenario, '--out', options.outFile, ...variant], {
    cwd: repoRoot(),
    encoding: 'utf8',
    // Grafana's read-only user, passed by environment (never on a command line).
    env: { ...process.env, ...(options.credential ? valkeyClientEnv(options.credential) : {}) },
  });
  if (run.status !== 0) throw new Error(`the dashboard PNG was not written: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim()}`);
  return run.stdout.trim();
}

/** One broker path of the run: where its aggregates live and what they were before. */
interface PathRun {
  readonly path: StackPath;
  readonly keys: ScenarioKeys;
  readonly before: AggregateSnapshot;
}

async function main(): Promise<void> {
  const broker = args.broker;
  const scenario = getScenario(args.scenario);
  const total = args.events;
  const concurrency = args.concurrency;
  const { 'kafka-port': kafkaPort, 'valkey-port': valkeyPort, 'rabbitmq-port': rabbitPort } = args;
  const withKafka = broker !== 'rabbitmq';
  const withRabbit = broker !== 'kafka';
  const servers = [withKafka && 'Kafka', 'Valkey', withRabbit && 'RabbitMQ'].filter((name) => name !== false);
  log(`starting ${servers.slice(0, -1).join(', ')} and ${servers[servers.length - 1]} of its own on loopback`);
  // What an interrupted earlier demo left running on these ports (recorded under .cache/run by pid).
  await stopRecordedServers(runDir('.'), [`kafka-${kafkaPort}`, `valkey-${valkeyPort}`, `rabbitmq-${rabbitPort}`]);
  const infra = await ensureInfra({
    fresh: true,
    kafka: withKafka && { port: kafkaPort, controllerPort: kafkaPort + 1, reuse: false },
    valkey: { port: valkeyPort, auth: true, reuse: false },
    rabbitmq: withRabbit ? { port: rabbitPort, reuse: false } : undefined,
  });
  log(describeInfra(infra));
  const stack = new LocalStack({
    kafkaBrokers: infra.kafka?.brokers,
    valkeyUrl: infra.valkey.url,
    valkeyCredential: infra.valkey.credentials?.consumer,
    rabbitmq: infra.rabbitmq?.env,
    broker,
    scenarios: [scenario.name],
    portOffset: args['port-offset'],
    host: args.host,
  });
  // The demo reads as Grafana does: the read-only user. It may not run INFO, which the client's
  // ready check would send (and log NOPERM for); PING on connect is all the check needed.
  const valkey = new Valkey(infra.valkey.url, {
    lazyConnect: true,
    enableReadyCheck: false,
    username: infra.valkey.credentials?.grafana.username,
    password: infra.valkey.credentials?.grafana.password,
  });
  let failed = false;
  try {
    await valkey.connect();
    log(`starting ${stack.apps.map((app) => app.spec.name).join(', ')} (${broker === 'both' ? 'writer-1 → Kafka, writer-2 → RabbitMQ' : `writers → ${broker}`})`);
    await stack.start();
    await stack.waitCaughtUp();
    const runs: PathRun[] = [];
    for (const path of stack.paths) {
      const keys = new ScenarioKeys(scenario.name, { variant: path.variant });
      runs.push({ path, keys, before: await readAggregates(valkey, scenario.aggregates, keys) });
    }

    const random = seededRandom(args.seed);
    const bodies = Array.from({ length: total }, () => scenario.sample(random));
    log(`sending ${total} ${scenario.name} events to ${stack.gatewayUrl}${canonicalRoute(scenario)} (${concurrency} concurrent)`);
    const sendStarted = performance.now();
    const sent = await postEvents({ baseUrl: stack.gatewayUrl, path: canonicalRoute(scenario), bodies, concurrency });
    const accepted = sent.results.filter((r) => r.status === 202);
    const rejected = sent.results.length - accepted.length;
    const latencies = accepted.map((r) => r.latencyMs);
    log(
      `accepted ${accepted.length}/${total} in ${sent.seconds.toFixed(2)} s = ${(accepted.length / sent.seconds).toFixed(0)} events/s; ` +
        `gateway latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    if (rejected > 0) {
      const statuses = new Map<number, number>();
      for (const r of sent.results) if (r.status !== 202) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      log(`not accepted: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')}`);
    }
    log(`waiting until Valkey reflects every accepted event${runs.length > 1 ? ' on every path' : ''}`);
    const results = [];
    for (const run of runs) {
      const baseline = run.before.counters[totalMetric(scenario)] ?? 0;
      const { counted, seconds } = await waitCounted(valkey, scenario, baseline, accepted.length, { settleMs: 1500, since: sendStarted, keys: run.keys });
      const after = await readAggregates(valkey, scenario.aggregates, run.keys);
      const label = runs.length > 1 ? ` via ${run.path.broker} (keys ${run.keys.prefix}:…)` : '';
      printTable(scenario, run.before, after, label);
      log(`end to end${label}: ${counted} events counted ${seconds.toFixed(2)} s after the first was sent = ${(counted / seconds).toFixed(0)} events/s`);
      results.push({ broker: run.path.broker, counted, lost: Math.max(0, accepted.length - counted), duplicates: Math.max(0, counted - accepted.length) });
    }
    if (results.length > 1) {
      for (const r of results) process.stdout.write(`${r.broker}: accepted=${accepted.length} counted=${r.counted} lost=${r.lost} duplicates=${r.duplicates}\n`);
    }
    // With both brokers every accepted event must be counted once on each path.
    const counted = Math.min(...results.map((r) => r.counted));
    const lost = results.reduce((n, r) => n + r.lost, 0);
    const duplicates = results.reduce((n, r) => n + r.duplicates, 0);
    process.stdout.write(`accepted=${accepted.length} counted=${counted} lost=${lost} duplicates=${duplicates}\n`);
    failed = lost !== 0 || duplicates !== 0 || accepted.length === 0;
    // One picture per broker path: with both brokers each keeps its aggregates under its own variant.
    log(`drawing the Grafana dashboard${runs.length > 1 ? ' of each broker path' : ''} from this Valkey with headless Chromium`);
    for (const { path } of runs) {
      const name = path.variant ? `${scenario.name}-${path.variant}` : scenario.name;
      const png = writeDashboardPng({ valkeyUrl: infra.valkey.url, credential: infra.valkey.credentials?.grafana, scenario: scenario.name, variant: path.variant, outFile: join('.cache', 'dashboard', `${name}.png`) });
      log(`dashboard preview${path.variant ? ` (${path.broker})` : ''}: ${png}`);
    }
  } finally {
    log('stopping what the demo started');
    valkey.disconnect();
    await stack.stop();
    await infra.stop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] failed: ${(error as Error).message}\n`);
  process.exit(1);
});
