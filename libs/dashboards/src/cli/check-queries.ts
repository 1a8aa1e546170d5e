#!/usr/bin/env node
// Runs every Prometheus query of every dashboard against a live Prometheus (query-check.ts) and,
// given Locust's stats history, compares the gateway's accepted-events rate with Locust's own:
//   node libs/dashboards/dist/cli/check-queries.js --prometheus URL [--dashboards DIR|FILE]
//     [--at EPOCH_SECONDS] [--locust-history FILE] [--tolerance 0.1] [--out DIR]
// --dashboards reads dashboard JSON files or Kubernetes manifests (the ConfigMaps of `cdk8s synth`'s
// dist/, their `*.json` keys); without it, the dashboards of every scenario as libs/dashboards builds
// them. Writes queries.json and queries.md to --out; exits 1 when a query returns no data or the
// rates disagree by more than the tolerance, naming each, 2 on bad arguments.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS } from '@oleada/scenarios';
import { parseAllDocuments } from 'yaml';
import { dashboardsFor } from '../dashboards';
import { PROMETHEUS_TIME_INTERVAL } from '../datasources';
import { parseDashboard, type DashboardModel } from '../model';
import { ACCEPTED_SERIES } from '../pipeline-dashboard';
import { checkDashboardQueries, compareWithLocust, grafanaIntervals, parseDuration, PrometheusApi, resolveTime, withinShare, type LocustComparison, type QueryOutcome } from '../query-check';

function usage(message: string): never {
  process.stderr.write(
    `check-queries.js: ${message}\nusage: check-queries.js --prometheus URL [--dashboards DIR|FILE] [--at EPOCH_SECONDS] [--locust-history FILE] [--tolerance 0.1] [--out DIR]\n`,
  );
  process.exit(2);
}

const options: Record<string, string> = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const name = args[i].replace(/^--/, '');
  if (!args[i].startsWith('--') || !['prometheus', 'dashboards', 'at', 'locust-history', 'tolerance', 'out'].includes(name)) usage(`unexpected argument ${args[i]}`);
  if (args[i + 1] === undefined) usage(`${args[i]} needs a value`);
  options[name] = args[++i];
}
if (!options.prometheus) usage('--prometheus is required');
const tolerance = Number(options.tolerance ?? '0.1');
if (!(tolerance > 0 && tolerance < 1)) usage(`--tolerance ${options.tolerance} is not a share between 0 and 1`);
const nowMs = options.at ? Number(options.at) * 1000 : Date.now();
if (!Number.isFinite(nowMs)) usage(`--at ${options.at} is not epoch seconds`);

/** Dashboards in a JSON file, or in the ConfigMaps of a manifest file; a directory: each such file in it. */
function readDashboards(path: string): DashboardModel[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((f) => /\.(json|ya?ml)$/.test(f))
      .sort()
      .flatMap((f) => readDashboards(join(path, f)));
  }
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.json')) return [parseDashboard(JSON.parse(text))];
  return parseAllDocuments(text).flatMap((doc) => {
    const object = doc.toJS() as { kind?: string; data?: Record<string, string> } | null;
    if (object?.kind !== 'ConfigMap' || !object.data) return [];
    return Object.entries(object.data)
      .filter(([key]) => key.endsWith('.json'))
      .map(([, json]) => JSON.parse(json) as unknown)
      .filter((json) => typeof json === 'object' && json !== null && 'panels' in json)
      .map(parseDashboard);
  });
}

async function main(): Promise<number> {
  const dashboards = options.dashboards ? readDashboards(options.dashboards) : dashboardsFor(SCENARIOS).map((d) => parseDashboard(d.json));
  if (dashboards.length === 0) usage(`no dashboards in ${options.dashboards}`);
  const api = new PrometheusApi(options.prometheus);
  const scrapeIntervalMs = parseDuration(PROMETHEUS_TIME_INTERVAL);
  const outcomes: QueryOutcome[] = [];
  for (const dashboard of dashboards) outcomes.push(...(await checkDashboardQueries(api, dashboard, { now: nowMs, scrapeIntervalMs })));
  const failures: string[] = [];
  if (outcomes.length === 0) failures.push(`none of the ${dashboards.length} dashboards has a Prometheus query`);
  for (const o of outcomes) if (!o.ok) failures.push(`${o.query.dashboard} / ${o.query.panel} / ${o.query.legend ?? o.query.refId}: ${o.problem} — ${o.sent}`);

  // The accepted-events series against Locust's accepted requests, point by point over the same
  // $__rate_interval windows, averaged over the points of the load.
  let comparison: Record<string, unknown> | undefined;
  if (options['locust-history']) {
    const accepted = outcomes.find((o) => o.query.panel === ACCEPTED_SERIES.panel && o.query.legend === ACCEPTED_SERIES.legend);
    const pipeline = dashboards.find((d) => d.title === accepted?.query.dashboard) as (DashboardModel & { time?: { from: string; to: string } }) | undefined;
    if (!accepted?.ok || !pipeline) {
      failures.push(`${ACCEPTED_SERIES.panel} / ${ACCEPTED_SERIES.legend}: no value to compare with Locust's rate`);
    } else {
      const time = pipeline.time ?? { from: 'now-6h', to: 'now' };
      const [start, end] = [resolveTime(time.from, nowMs), resolveTime(time.to, nowMs)];
      const intervals = grafanaIntervals({ rangeMs: end - start, scrapeIntervalMs });
      const step = intervals.intervalMs;
      const series = await api.queryRange(accepted.sent, Math.floor(start / step) * step, Math.floor(end / step) * step, step);
      const result = compareWithLocust(series[0]?.values ?? [], readFileSync(options['locust-history'], 'utf8'), intervals.rateIntervalMs);
      if (!result) {
        failures.push(`Locust's stats history covers no point of ${ACCEPTED_SERIES.panel} / ${ACCEPTED_SERIES.legend}`);
      } else {
        const agree = withinShare(result.prometheus, result.locust, tolerance);
        comparison = { ...result, windowSeconds: intervals.rateIntervalMs / 1000, tolerance, agree };
        if (!agree) failures.push(`${ACCEPTED_SERIES.panel} / ${ACCEPTED_SERIES.legend}: ${result.prometheus.toFixed(2)}/s, Locust ${result.locust.toFixed(2)}/s: more than ${tolerance * 100} % apart`);
      }
    }
  }

  const lines = [
    '| dashboard | panel | series | last value | largest over the range | result |',
    '|---|---|---|---|---|---|',
    ...outcomes.flatMap((o) =>
      o.ok
        ? o.last.map((l) => `| ${o.query.dashboard} | ${o.query.panel} | ${l.series} | ${Number(l.value.toPrecision(4))} | ${Number(l.max.toPrecision(4))} | ok |`)
        : [`| ${o.query.dashboard} | ${o.query.panel} | ${o.query.legend ?? o.query.refId} | — | — | FAILED: ${o.problem} |`],
    ),
  ];
  if (comparison) {
    const c = comparison as unknown as LocustComparison & { windowSeconds: number; agree: boolean };
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(11, 19);
    lines.push(
      '',
      `Accepted events per second, ${ACCEPTED_SERIES.panel} / ${ACCEPTED_SERIES.legend} against Locust's own (its stats history, requests minus failures), ` +
        `each over the panel's \`$__rate_interval\` (${c.windowSeconds} s) ending at the series' ${c.points} points from ${iso(c.fromS)} to ${iso(c.toS)} UTC, averaged: ` +
        `Prometheus ${c.prometheus.toFixed(2)}/s, Locust ${c.locust.toFixed(2)}/s — ${c.agree ? 'within' : 'NOT within'} ${tolerance * 100} %.`,
    );
  }
  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'queries.json'), JSON.stringify({ at: nowMs / 1000, outcomes, comparison, failures }, null, 2) + '\n');
    writeFileSync(join(options.out, 'queries.md'), lines.join('\n') + '\n');
  }
  process.stdout.write(lines.join('\n') + '\n');
  for (const f of failures) process.stderr.write(`FAILED: ${f}\n`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`check-queries.js: ${error.message}\n`);
    process.exit(1);
  },
);
