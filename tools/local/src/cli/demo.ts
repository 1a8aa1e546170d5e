import { parseArgs } from 'node:util';
import { canonicalRoute, getScenario, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { readAggregates, ScenarioKeys, type AggregateSnapshot } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { ensureInfra } from '../infra';
import { percentile, postEvents, totalMetric, waitCounted } from '../load';
import { LocalStack } from '../stack';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'blackfriday' },
    broker: { type: 'string', default: 'kafka' },
    events: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    seed: { type: 'string', default: '20261128' },
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

/** The table the Grafana bar chart shows: one row per field of the headline hash, with the other hashes beside it. */
function printTable(scenario: AnyScenario, before: AggregateSnapshot, after: AggregateSnapshot): void {
  const hashes = scenario.aggregates.filter((a) => a.kind === 'hash');
  const headline = hashes.find((a) => a.metric === scenario.headline) ?? hashes[0];
  if (!headline || headline.kind !== 'hash') return;
  const columns = [headline, ...hashes.filter((a) => a !== headline)];
  const values = columns.map((a) => delta(after.hashes[a.metric], before.hashes[a.metric]));
  const header = ['', ...columns.map((a) => a.scale ? `${a.title} (${a.unit ?? ''})` : a.title)];
  const rows = headline.fields.map((field) => [
    field,
    ...columns.map((a, i) => {
      const v = values[i][field] ?? 0;
      return a.scale ? (v / a.scale).toFixed(2) : String(v);
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${scenario.title} — what the "${headline.title}" bar chart shows:\n`);
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write('\n');
}

async function main(): Promise<void> {
  if (args.broker !== 'kafka') throw new Error(`--broker ${args.broker} is not available yet (kafka only)`);
  const scenario = getScenario(args.scenario as string);
  const total = Number(args.events);
  const concurrency = Number(args.concurrency);
  log('starting Kafka and Valkey on loopback');
  const infra = await ensureInfra();
  log(`Kafka ${infra.kafka.brokers}${infra.kafka.reused ? ' (reused)' : ''}, Valkey ${infra.valkey.url}${infra.valkey.reused ? ' (reused)' : ''}`);
  const stack = new LocalStack({ kafkaBrokers: infra.kafka.brokers, valkeyUrl: infra.valkey.url, scenarios: [scenario.name] });
  const valkey = new Valkey(infra.valkey.url, { lazyConnect: true });
  let failed = false;
  try {
    await valkey.connect();
    log('starting gateway, relay, writer-1, writer-2 (x2), consumer');
    await stack.start();
    await stack.waitCaughtUp();
    const keys = new ScenarioKeys(scenario.name);
    const before = await readAggregates(valkey, scenario.aggregates, keys);
    const baseline = before.counters[totalMetric(scenario)] ?? 0;

    const random = seededRandom(Number(args.seed));
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
    log('waiting until Valkey reflects every accepted event');
    const { counted, seconds } = await waitCounted(valkey, scenario, baseline, accepted.length, { settleMs: 1500, since: sendStarted });
    const after = await readAggregates(valkey, scenario.aggregates, keys);
    printTable(scenario, before, after);
    const lost = Math.max(0, accepted.length - counted);
    const duplicates = Math.max(0, counted - accepted.length);
    log(`end to end: ${counted} events counted ${seconds.toFixed(2)} s after the first was sent = ${(counted / seconds).toFixed(0)} events/s`);
    process.stdout.write(`accepted=${accepted.length} counted=${counted} lost=${lost} duplicates=${duplicates}\n`);
    failed = lost !== 0 || duplicates !== 0 || accepted.length === 0;
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
