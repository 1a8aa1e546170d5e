import { alertRuleFile } from '@oleada/dashboards';
import { PART_OF } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';
import { pinned } from './versions';
import { HTTP_PORT_NAME } from './workload';

/** Release name of prometheus-community/prometheus; the chart names the server's Service `<release>-server`. */
export const PROMETHEUS_RELEASE = 'prometheus';
/** The chart version the values below are written for (`tools/bootstrap/bootstrap.sh` installs it), pinned in versions.json. */
export const PROMETHEUS_CHART_VERSION = pinned('prometheus').version;
/** Pods of the chart's server (its `prometheus.server.matchLabels`, chart 25 and later; `server.name` left at `server`). */
export const PROMETHEUS_SERVER_PODS = { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' } as const;
/** The server container's port (the Service maps port 80 to it). */
export const PROMETHEUS_PORT = 9090;
const PROMETHEUS_UID = 65534;
/** The scrape job of the Oleada apps. */
export const PROMETHEUS_APPS_JOB = 'oleada';

/** Where the chart's server reads the alert rules (`serverFiles['alerting_rules.yml']`, libs/dashboards' rules). */
export const PROMETHEUS_ALERT_RULES_PATH = '/etc/config/alerting_rules.yml';

/** In-cluster URL of the release's server in `namespace`. */
export function prometheusServerUrl(namespace: string): string {
  return `http://${PROMETHEUS_RELEASE}-server.${namespace}.svc.cluster.local`;
}

/** The Kubernetes pod label a relabel rule reads, as Prometheus's service discovery names it. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * Scrape job for the apps: pods of `namespace` labelled `app.kubernetes.io/part-of: oleada`, on
 * their container port named `http` (`/metrics` on every app), with the pod's
 * `app.kubernetes.io/name` as label `app` (and `namespace`, `pod`).
 */
export function appsScrapeJob(namespace: string): Record<string, unknown> {
  return {
    job_name: PROMETHEUS_APPS_JOB,
    metrics_path: '/metrics',
    kubernetes_sd_configs: [
      { role: 'pod', namespaces: { names: [namespace] }, selectors: [{ role: 'pod', label: `app.kubernetes.io/part-of=${PART_OF}` }] },
    ],
    relabel_configs: [
      { source_labels: [podLabelMeta('app.kubernetes.io/part-of')], regex: PART_OF, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: HTTP_PORT_NAME, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
      { source_labels: [podLabelMeta('app.kubernetes.io/name')], target_label: 'app', action: 'replace' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace', action: 'replace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
    ],
  };
}

/** 15 s: the interval Grafana assumes for `$__rate_interval` when the data source names none. */
const PROMETHEUS_GLOBAL = { scrape_interval: '15s', scrape_timeout: '10s', evaluation_interval: '1m' } as const;

/**
 * `prometheus.yml` for a server that reads its own files (the local cluster's, run from the binary
 * `tools/cluster/build.sh prometheus` builds): the chart's global settings, scrape job and rule
 * file, the rules at `ruleFile` (write them with `alertRulesYaml({ job: PROMETHEUS_APPS_JOB })` from
 * @oleada/dashboards, or `node libs/dashboards/dist/cli/alert-rules.js`).
 */
export function prometheusConfig(props: { readonly appNamespace: string; readonly ruleFile: string }): Record<string, unknown> {
  return { global: { ...PROMETHEUS_GLOBAL }, rule_files: [props.ruleFile], scrape_configs: [appsScrapeJob(props.appNamespace)] };
}

export interface PrometheusHelmValuesProps {
  /** The namespace whose app pods are scraped. */
  readonly appNamespace: string;
  /** How long samples are kept. @default '2d' */
  readonly retention?: string;
}

/**
 * Values for prometheus-community/prometheus ({@link PROMETHEUS_CHART_VERSION}): the server alone
 * (no Alertmanager, Pushgateway, kube-state-metrics or node exporter), data on an emptyDir like
 * Grafana's, a short retention, restricted security, and one scrape job (the apps) in place of the
 * chart's cluster-wide defaults, and the alert rules of libs/dashboards (no Alertmanager: alerts are
 * read from the server's `/api/v1/alerts`).
 */
export function prometheusHelmValues(props: PrometheusHelmValuesProps): Record<string, unknown> {
  return {
    alertmanager: { enabled: false },
    'kube-state-metrics': { enabled: false },
    'prometheus-node-exporter': { enabled: false },
    'prometheus-pushgateway': { enabled: false },
    server: {
      global: PROMETHEUS_GLOBAL,
      retention: props.retention ?? '2d',
      persistentVolume: { enabled: false },
      emptyDir: { sizeLimit: '2Gi' },
      service: { type: 'ClusterIP', servicePort: 80 },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
      // nobody, as the chart's image expects.
      securityContext: restrictedPodSecurityContext(PROMETHEUS_UID),
      containerSecurityContext: restrictedContainerSecurityContext(),
    },
    configmapReload: { prometheus: { containerSecurityContext: restrictedContainerSecurityContext() } },
    serverFiles: {
      // The chart mounts its ConfigMap (these keys) at /etc/config; rule_files is set in full because
      // Helm replaces lists, and the chart's default names files that are not there.
      'prometheus.yml': { rule_files: [PROMETHEUS_ALERT_RULES_PATH], scrape_configs: [appsScrapeJob(props.appNamespace)] },
      'alerting_rules.yml': alertRuleFile({ job: PROMETHEUS_APPS_JOB }),
    },
  };
}
