import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { METRIC_NAMES } from '@oleada/shared';
import { stringify } from 'yaml';
import { ALERT_NAMES, alertRuleGroups, alertRulesYaml, type AlertRule } from './alert-rules';

/**
 * The alert rules, checked and unit-tested by promtool (Prometheus's own rule evaluator): for every
 * alert, input series that make it fire and series that must not. promtool comes from
 * `bash tools/cluster/build.sh prometheus` (run by tools/scripts/setup-test-tools.sh); PROMTOOL
 * names another binary.
 */
const cacheDir = process.env.OLEADA_CLUSTER_CACHE ?? '/var/cache/oleada-cluster';
const PROMTOOL = process.env.PROMTOOL ?? join(cacheDir, 'bin', 'promtool');

function promtool(...args: string[]): { status: number | null; output: string } {
  try {
    accessSync(PROMTOOL, constants.X_OK);
  } catch {
    assert.fail(`promtool not found at ${PROMTOOL}: run \`bash tools/scripts/setup-test-tools.sh\` (builds it with tools/cluster/build.sh prometheus) or set PROMTOOL`);
  }
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 120_000 });
  if (run.error) assert.fail(`${PROMTOOL} ${args.join(' ')}: ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

type Labels = Record<string, string>;

/** The labels the apps' scrape job gives a target (appsScrapeJob in libs/k8s). */
const target = (app: string, pod = `${app}-0`): Labels => ({ job: 'oleada', namespace: 'oleada', app, pod, instance: `${pod}:3000` });

interface Series {
  readonly series: string;
  /** promtool's expanding notation: `0+60x20` is 0, 60, …, 1200 one interval apart. */
  readonly values: string;
}

function series(metric: string, labels: Labels, values: string): Series {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return { series: `${metric}{${inner}}`, values };
}

interface Case {
  readonly name: string;
  readonly alert: string;
  readonly input: readonly Series[];
  /** When the alert is checked, from the first sample (`30m`). */
  readonly at: string;
  /** Time between two samples of the input series. @default '1m' */
  readonly interval?: string;
  /** The labels of each firing alert the rule keeps from its series; empty: it must not fire. */
  readonly fires: readonly Labels[];
}

const m = METRIC_NAMES;
const A = ALERT_NAMES;
const consumer = target('consumer');
const writer = target('writer-1');
const gateway = target('gateway');
const lag = (values: string) => series(m.consumerLag, { ...consumer, topic: 'weather', partition: '0' }, values);
const writerAccepted = (values: string) => series(m.writerEvents, { ...writer, scenario: 'weather', outcome: 'accepted' }, values);
const consumerApplied = (values: string) => series(m.consumerEvents, { ...consumer, scenario: 'all', outcome: 'applied' }, values);
const gatewayStatus = (status: string, values: string) => series(m.gatewayRequests, { ...gateway, scenario: 'weather', kind: 'single', status }, values);
const produced = (outcome: string, values: string) => series(`${m.produceDuration}_count`, { ...writer, broker: 'kafka', outcome }, values);
const deadLetters = (values: string) => series(m.consumerEvents, { ...consumer, scenario: 'weather', outcome: 'dead_letter' }, values);
const dependency = (name: string, values: string) => series(m.dependencyUp, { ...consumer, dependency: name }, values);
// Scraped every 15 s, as the apps' scrape job is (one sample per interval below).
const consumerB = target('consumer', 'consumer-1');
const appliedBy = (pod: Labels, values: string) => series(m.consumerEvents, { ...pod, scenario: 'all', outcome: 'applied' }, values);
const upOf = (pod: Labels, values: string) => series('up', pod, values);

const CASES: readonly Case[] = [
  // Accepted but not counted, Kafka: lag rises 50 records a minute.
  { name: 'lag growing for 30 minutes', alert: A.consumerLagGrowing, input: [lag('0+50x40')], at: '30m', fires: [{ namespace: 'oleada', topic: 'weather' }] },
  { name: 'steady lag (batches in flight)', alert: A.consumerLagGrowing, input: [lag('500x40')], at: '30m', fires: [] },
  { name: 'lag growing below the floor', alert: A.consumerLagGrowing, input: [lag('0+2x40')], at: '30m', fires: [] },
  { name: 'lag shrinking', alert: A.consumerLagGrowing, input: [lag('3000-50x40')], at: '30m', fires: [] },
  // Accepted but not counted, any broker: writers accept 10/s, the consumer applies 5/s.
  { name: 'consumer applies half of what is accepted', alert: A.acceptedNotCounted, input: [writerAccepted('0+600x40'), consumerApplied('0+300x40')], at: '30m', fires: [{ namespace: 'oleada' }] },
  {
    name: 'consumer keeps up (duplicates count as counted)',
    alert: A.acceptedNotCounted,
    input: [writerAccepted('0+600x40'), consumerApplied('0+560x40'), series(m.consumerEvents, { ...consumer, scenario: 'all', outcome: 'duplicate' }, '0+40x40')],
    at: '30m',
    fires: [],
  },
  { name: 'no traffic', alert: A.acceptedNotCounted, input: [writerAccepted('0x40'), consumerApplied('0x40')], at: '30m', fires: [] },
  // Nothing counted: writers accept 10/s (150 a sample, 15 s apart).
  {
    name: 'the consumer scaled to 0 (its series end) while writers accept',
    alert: A.nothingCounted,
    interval: '15s',
    input: [writerAccepted('0+150x40'), appliedBy(consumer, '0+150x8 stale'), upOf(consumer, '1x8 stale')],
    at: '5m',
    fires: [{ namespace: 'oleada' }],
  },
  {
    name: 'the consumer up but counting nothing (cut from Valkey)',
    alert: A.nothingCounted,
    interval: '15s',
    input: [writerAccepted('0+150x40'), appliedBy(consumer, '0+150x8 1200x31'), upOf(consumer, '1x40')],
    at: '5m',
    fires: [{ namespace: 'oleada' }],
  },
  {
    name: 'the consumer keeps up',
    alert: A.nothingCounted,
    interval: '15s',
    input: [writerAccepted('0+150x40'), appliedBy(consumer, '0+150x40'), upOf(consumer, '1x40')],
    at: '9m',
    fires: [],
  },
  {
    // consumer-0 goes at 2m, consumer-1 counts from 2m30s: 30 s without counting, under the `for`
    name: 'a consumer replaced within a minute',
    alert: A.nothingCounted,
    interval: '15s',
    input: [writerAccepted('0+150x40'), appliedBy(consumer, '0+150x8 stale'), upOf(consumer, '1x8 stale'), appliedBy(consumerB, '_ _ _ _ _ _ _ _ _ _ 0+150x29'), upOf(consumerB, '_ _ _ _ _ _ _ _ _ _ 1x29')],
    at: '3m30s',
    fires: [],
  },
  { name: 'no traffic, no consumer', alert: A.nothingCounted, interval: '15s', input: [writerAccepted('0x40')], at: '9m', fires: [] },
  // 5xx at the gateway: 10 % of answers against 1 %.
  { name: '10 % of answers are 500', alert: A.gateway5xxRatio, input: [gatewayStatus('202', '0+540x20'), gatewayStatus('500', '0+60x20')], at: '15m', fires: [{ namespace: 'oleada' }] },
  { name: '1 % of answers are 503', alert: A.gateway5xxRatio, input: [gatewayStatus('202', '0+594x20'), gatewayStatus('503', '0+6x20')], at: '15m', fires: [] },
  // Writer produce errors: the error series exists at 0 from the start.
  {
    name: 'produce requests keep failing',
    alert: A.writerProduceErrors,
    input: [produced('ok', '0+100x20'), produced('error', '0+5x20')],
    at: '15m',
    fires: [{ namespace: 'oleada', pod: 'writer-1-0', broker: 'kafka' }],
  },
  { name: 'every produce request succeeds', alert: A.writerProduceErrors, input: [produced('ok', '0+100x20'), produced('error', '0x20')], at: '15m', fires: [] },
  // Poison records: one dead letter, then none.
  { name: 'a record was dead-lettered', alert: A.poisonRecords, input: [deadLetters('0 0 0 1x10')], at: '5m', fires: [{ namespace: 'oleada', scenario: 'weather' }] },
  { name: 'no dead letters', alert: A.poisonRecords, input: [deadLetters('0x30')], at: '25m', fires: [] },
  { name: 'the last dead letter is older than 10 minutes', alert: A.poisonRecords, input: [deadLetters('0 1x30')], at: '25m', fires: [] },
  // Valkey unreachable from the consumer.
  { name: 'valkey down for 5 minutes', alert: A.consumerValkeyDown, input: [dependency('valkey', '1 1 1 0x10')], at: '8m', fires: [{ namespace: 'oleada', app: 'consumer', pod: 'consumer-0' }] },
  { name: 'valkey up', alert: A.consumerValkeyDown, input: [dependency('valkey', '1x10')], at: '8m', fires: [] },
  { name: 'the broker (not valkey) down', alert: A.consumerValkeyDown, input: [dependency('valkey', '1x10'), dependency('broker', '0x10')], at: '8m', fires: [] },
  // An app not scraped.
  { name: 'relay scrape failing', alert: A.appDown, input: [series('up', target('relay'), '1 1 0x10')], at: '6m', fires: [target('relay')] },
  { name: 'every app scraped', alert: A.appDown, input: [series('up', target('relay'), '1x10'), series('up', gateway, '1x10')], at: '6m', fires: [] },
  { name: 'another job down', alert: A.appDown, input: [series('up', { ...target('relay'), job: 'kubelet' }, '0x10')], at: '6m', fires: [] },
  { name: 'no app target at all', alert: A.appsAbsent, input: [series('up', { job: 'kubelet', instance: 'node:10250' }, '1x10')], at: '10m', fires: [{ job: 'oleada' }] },
  { name: 'app targets present', alert: A.appsAbsent, input: [series('up', target('relay'), '1x10')], at: '10m', fires: [] },
];

const RULES: ReadonlyMap<string, AlertRule> = new Map(alertRuleGroups().flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));

/** The summary as Prometheus renders it: the rules' templates name labels only. */
function render(template: string, labels: Labels): string {
  return template.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, name: string) => labels[name] ?? '');
}

/** promtool's unit-test file for `cases`, reading the rules from `rulesFile`. */
function testFile(rulesFile: string, cases: readonly Case[]): string {
  return stringify({
    rule_files: [rulesFile],
    // the apps' Prometheus evaluates every 15 s (PROMETHEUS_GLOBAL in libs/k8s)
    evaluation_interval: '15s',
    tests: cases.map((c) => {
      const rule = RULES.get(c.alert);
      assert.ok(rule, `case "${c.name}" names an alert the rules have (${c.alert})`);
      return {
        name: `${c.alert}: ${c.name}`,
        interval: c.interval ?? '1m',
        input_series: c.input,
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: c.alert,
            exp_alerts: c.fires.map((labels) => ({ exp_labels: { ...labels, ...rule.labels }, exp_annotations: { summary: render(rule.annotations.summary, labels) } })),
          },
        ],
      };
    }),
  });
}

describe('alert rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oleada-alert-rules-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rulesFile = join(dir, 'alerting_rules.yml');
  writeFileSync(rulesFile, alertRulesYaml());

  it('every rule has a name, expression, duration, severity and summary, on metrics the apps export', () => {
    const known = new Set<string>([...Object.values(METRIC_NAMES), 'up']);
    for (const rule of RULES.values()) {
      assert.match(rule.alert, /^Oleada[A-Za-z0-9]+$/);
      assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity), `${rule.alert}: severity`);
      assert.ok(rule.annotations.summary.length > 0, `${rule.alert}: summary`);
      assert.doesNotMatch(rule.annotations.summary, /\$value/, `${rule.alert}: the summary names no value (tests compare it exactly)`);
      const metrics = (rule.expr.match(/\b(oleada_[a-z_]+|up)\{/g) ?? []).map((s) => s.slice(0, -1).replace(/_(bucket|count|sum)$/, ''));
      assert.ok(metrics.length > 0, `${rule.alert} queries a metric`);
      assert.deepEqual(metrics.filter((n) => !known.has(n)), [], `${rule.alert} queries only metrics the apps register`);
      assert.match(rule.expr, /job="oleada"/, `${rule.alert} is limited to the apps' scrape job`);
    }
    assert.deepEqual([...RULES.keys()].sort(), Object.values(ALERT_NAMES).sort());
  });

  it('every alert has a case where it fires and one where it must not', () => {
    for (const alert of RULES.keys()) {
      assert.ok(CASES.some((c) => c.alert === alert && c.fires.length > 0), `${alert} has a firing case`);
      assert.ok(CASES.some((c) => c.alert === alert && c.fires.length === 0), `${alert} has a not-firing case`);
    }
  });

  it('promtool check rules accepts the rule file', () => {
    const run = promtool('check', 'rules', rulesFile);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, new RegExp(`SUCCESS: ${RULES.size} rules found`));
  });

  it(`promtool test rules: ${CASES.length} cases, firing and not firing`, () => {
    const tests = join(dir, 'alerting_rules.test.yml');
    writeFileSync(tests, testFile(rulesFile, CASES));
    const run = promtool('test', 'rules', tests);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /SUCCESS/);
  });

  it('promtool test rules fails when a case expects the opposite (the cases can fail)', () => {
    const flipped = CASES.filter((c) => c.alert === A.gateway5xxRatio).map((c) => ({ ...c, fires: c.fires.length > 0 ? [] : [{ namespace: 'oleada' }] }));
    const tests = join(dir, 'flipped.test.yml');
    writeFileSync(tests, testFile(rulesFile, flipped));
    const run = promtool('test', 'rules', tests);
    assert.notEqual(run.status, 0, run.output);
    assert.match(run.output, new RegExp(A.gateway5xxRatio));
  });
});
