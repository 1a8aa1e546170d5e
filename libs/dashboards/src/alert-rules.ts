import { METRIC_NAMES } from '@oleada/shared';
import { stringify } from 'yaml';

/** One Prometheus alerting rule, as a rule file holds it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'warning' | 'critical' };
  /** `summary` may name the alert's labels (`{{ $labels.namespace }}`), never its value: tests compare it exactly. */
  readonly annotations: { readonly summary: string };
}

/** A rule group of a Prometheus rule file. */
export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export interface AlertRulesOptions {
  /** The scrape job of the apps (`PROMETHEUS_APPS_JOB` in libs/k8s). @default 'oleada' */
  readonly job?: string;
}

/** Names of the alerts, for tests and runbooks. */
export const ALERT_NAMES = {
  consumerLagGrowing: 'OleadaConsumerLagGrowing',
  acceptedNotCounted: 'OleadaAcceptedNotCounted',
  nothingCounted: 'OleadaNothingCounted',
  gateway5xxRatio: 'OleadaGateway5xxRatio',
  writerProduceErrors: 'OleadaWriterProduceErrors',
  poisonRecords: 'OleadaPoisonRecords',
  consumerValkeyDown: 'OleadaConsumerValkeyUnreachable',
  appDown: 'OleadaAppNotScraped',
  appsAbsent: 'OleadaAppsAbsent',
} as const;

/** Lag (records) below which growth is not alerted: a few batches in flight are normal under load. */
export const LAG_ALERT_FLOOR = 100;
/** Share of gateway answers that may be 5xx before the alert fires. */
export const GATEWAY_5XX_RATIO = 0.05;
/** The consumer's outcomes that mean an event was counted (dead letters are counted as such). */
const COUNTED_OUTCOMES = 'applied|duplicate|dead_letter';
/** Share of the writers' accepted events the consumer may fall behind by, over ten minutes. */
export const NOT_COUNTED_RATIO = 0.1;

/**
 * The alerting rules for Oleada's apps, one group. Metric names are the apps' own (`METRIC_NAMES`);
 * the labels the rules keep (`namespace`, `topic`, `app`, `pod`, …) are the scrape job's
 * (`appsScrapeJob` in libs/k8s). The cloud profiles' Prometheus loads them from its Helm values
 * (`prometheusHelmValues`), the local cluster's from `alertRulesYaml()` (CLI: `alert-rules.js`).
 */
export function alertRuleGroups(options: AlertRulesOptions = {}): AlertRuleGroup[] {
  const job = `job="${options.job ?? 'oleada'}"`;
  const m = METRIC_NAMES;
  const rules: AlertRule[] = [
    {
      alert: ALERT_NAMES.consumerLagGrowing,
      // Lag = records durable in Kafka (accepted) that the consumer has not yet read and counted. A
      // steady lag under load is batches in flight; one whose regression slope stays positive for
      // 10 minutes (20 minutes of samples) above a floor means events arrive faster than they are
      // counted. Kafka only (the lag gauge is Kafka's); OleadaAcceptedNotCounted covers both brokers.
      expr:
        `sum by (namespace, topic) (deriv(${m.consumerLag}{${job}}[10m])) > 0` +
        ` and sum by (namespace, topic) (${m.consumerLag}{${job}}) > ${LAG_ALERT_FLOOR}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Consumer lag on {{ $labels.topic }} in {{ $labels.namespace }} has grown for 10 minutes: events are accepted faster than counted' },
    },
    {
      alert: ALERT_NAMES.acceptedNotCounted,
      // Events the writers made durable (outcome accepted) against records the consumer committed to
      // Valkey (applied, or recognised as already counted: duplicate; dead letters are applied as a
      // count too). Over 10 minutes the two rates match within a few seconds of delay, whatever the
      // broker; the consumer doing more than 10 % less for 10 minutes means accepted events are not
      // being counted (a slow consumer, RabbitMQ's queue growing). With no consumer series at all the
      // right side is empty and this stays silent: OleadaNothingCounted fires then, within minutes.
      expr:
        `sum by (namespace) (rate(${m.writerEvents}{${job}, outcome="accepted"}[10m]))` +
        ` * ${1 - NOT_COUNTED_RATIO} > sum by (namespace) (rate(${m.consumerEvents}{${job}, outcome=~"applied|duplicate"}[10m]))`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Accepted events in {{ $labels.namespace }} are not being counted: the consumer applies less than the writers accept' },
    },
    {
      alert: ALERT_NAMES.nothingCounted,
      // Accepted but not counted, the fast signal: the writers made events durable in the last minute
      // and no consumer that is up counted any (applied, duplicate or dead-lettered) — every consumer
      // gone (scaled to 0, crash-looping), stuck, or cut from Valkey. A consumer's series count only
      // while its target is up: a deleted pod's last samples stay in a [1m] window for most of a
      // minute and would hide the stop. A rollout (the new pod is up before the old one goes) and
      // a restart shorter than a minute stay below the `for`.
      expr:
        `sum by (namespace) (rate(${m.writerEvents}{${job}, outcome="accepted"}[1m])) > 0` +
        ` unless on (namespace) sum by (namespace) (rate(${m.consumerEvents}{${job}, outcome=~"${COUNTED_OUTCOMES}"}[1m]) > 0` +
        ` and on (namespace, pod) up{${job}} == 1)`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Events accepted in {{ $labels.namespace }} are not being counted: no consumer counted any in the last minute' },
    },
    {
      alert: ALERT_NAMES.gateway5xxRatio,
      // Every gateway answer by status; shed requests (503 under overload) count: clients see them.
      expr:
        `sum by (namespace) (rate(${m.gatewayRequests}{${job}, status=~"5.."}[5m]))` +
        ` / sum by (namespace) (rate(${m.gatewayRequests}{${job}}[5m])) > ${GATEWAY_5XX_RATIO}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: `More than ${GATEWAY_5XX_RATIO * 100} % of gateway answers in {{ $labels.namespace }} are 5xx` },
    },
    {
      alert: ALERT_NAMES.writerProduceErrors,
      // Failed produce requests (Kafka acks=all or RabbitMQ confirms not obtained); the error series
      // starts at 0 in every writer, so the first failure counts.
      expr: `sum by (namespace, pod, broker) (rate(${m.produceDuration}_count{${job}, outcome="error"}[5m])) > 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Writer {{ $labels.pod }} in {{ $labels.namespace }} has failed to produce to {{ $labels.broker }} for 5 minutes' },
    },
    {
      alert: ALERT_NAMES.poisonRecords,
      // A record the consumer cannot decode goes to the dead-letter topic; any is a producer bug to
      // look at. The series starts at 0 per scenario, so the first one counts.
      expr: `sum by (namespace, scenario) (increase(${m.consumerEvents}{${job}, outcome="dead_letter"}[10m])) > 0`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Poison records of scenario {{ $labels.scenario }} in {{ $labels.namespace }} were dead-lettered in the last 10 minutes' },
    },
    {
      alert: ALERT_NAMES.consumerValkeyDown,
      // The readiness check of the Valkey connection (the consumer's, checked twice a second; the
      // only app with a Valkey dependency, so no `app` filter that a renamed workload would defeat).
      expr: `max by (namespace, app, pod) (${m.dependencyUp}{${job}, dependency="valkey"}) == 0`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: { summary: '{{ $labels.app }} pod {{ $labels.pod }} in {{ $labels.namespace }} cannot reach Valkey' },
    },
    {
      alert: ALERT_NAMES.appDown,
      expr: `up{${job}} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Prometheus cannot scrape {{ $labels.app }} pod {{ $labels.pod }} in {{ $labels.namespace }}' },
    },
    {
      alert: ALERT_NAMES.appsAbsent,
      // No target at all (no app pod running, or discovery broken): `up == 0` has nothing to match then.
      expr: `absent(up{${job}})`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Prometheus has no Oleada app to scrape' },
    },
  ];
  return [{ name: 'oleada', rules }];
}

/** The rule file (`groups:`), as an object for Helm values. */
export function alertRuleFile(options: AlertRulesOptions = {}): { groups: AlertRuleGroup[] } {
  return { groups: alertRuleGroups(options) };
}

/** The rule file as YAML, for a Prometheus that reads files (the local cluster's) and for promtool. */
export function alertRulesYaml(options: AlertRulesOptions = {}): string {
  // One line per expression and summary (no folding), as they read in the source.
  return '# Generated from libs/dashboards/src/alert-rules.ts; do not edit.\n' + stringify(alertRuleFile(options), { lineWidth: 0 });
}
