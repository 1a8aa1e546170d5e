import { createHash } from 'node:crypto';
import { alertRuleFile, alertRulesYaml } from '@oleada/dashboards';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { k8s } from './k8s';
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
/** The chart's name for the server's objects (`<release>-server`): ServiceAccount, Service, Deployment, RoleBindings. */
export const PROMETHEUS_SERVER_NAME = `${PROMETHEUS_RELEASE}-server`;
/**
 * The ClusterRole the server's account is bound to, by a RoleBinding in the apps' namespace only
 * (the chart's `server.useExistingClusterRoleName` with `server.namespaces`): the pods the scrape job
 * discovers, nothing cluster-wide.
 */
export const PROMETHEUS_DISCOVERY_ROLE = 'oleada:prometheus-discovery';
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

/**
 * Scrapes every 15 s (the Grafana data source's `timeInterval`); rules are evaluated as often, so an
 * alert with `for: 1m` fires a minute after its condition holds, not up to two.
 */
const PROMETHEUS_GLOBAL = { scrape_interval: '15s', scrape_timeout: '10s', evaluation_interval: '15s' } as const;
/** The server's requests and limits, the chart's and the local cluster's. */
const PROMETHEUS_RESOURCES = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } } as const;
const PROMETHEUS_RETENTION = '2d';

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
      retention: props.retention ?? PROMETHEUS_RETENTION,
      // no ClusterRole of the chart's (nodes, services, ingresses… cluster-wide): a RoleBinding in the
      // apps' namespace to the discovery role the charts make (PrometheusDiscoveryRole)
      useExistingClusterRoleName: PROMETHEUS_DISCOVERY_ROLE,
      namespaces: [props.appNamespace],
      persistentVolume: { enabled: false },
      emptyDir: { sizeLimit: '2Gi' },
      service: { type: 'ClusterIP', servicePort: 80 },
      resources: PROMETHEUS_RESOURCES,
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

/** The pods the apps' scrape job discovers (kubernetes_sd role `pod`): read, list and watch them. */
export const PROMETHEUS_DISCOVERY_RULES: readonly k8s.PolicyRule[] = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }];

/** The ClusterRole {@link PROMETHEUS_DISCOVERY_ROLE}: granted only through RoleBindings in the namespaces scraped. */
export class PrometheusDiscoveryRole extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const role = new k8s.KubeClusterRole(this, 'role', {
      metadata: { name: PROMETHEUS_DISCOVERY_ROLE, labels: { 'app.kubernetes.io/name': PROMETHEUS_RELEASE, 'app.kubernetes.io/part-of': PART_OF } },
      rules: PROMETHEUS_DISCOVERY_RULES.map((r) => ({ ...r })),
    });
    this.name = role.name;
  }
}

export interface PrometheusServerProps {
  /** Where the server runs (the monitoring namespace). */
  readonly namespace: string;
  /** The namespace whose app pods are scraped. */
  readonly appNamespace: string;
  /** An image with the static `prometheus` binary at `/prometheus` (tools/cluster/images.sh builds it). */
  readonly image: string;
  readonly imagePullSecret: string;
  /** @default '100m' */
  readonly cpuRequest?: string;
}

/**
 * The Prometheus server of a cluster without Helm (the `local` profile), as the chart's values above
 * make it: the same names (`prometheus-server` account, Service and Deployment, pods labelled
 * {@link PROMETHEUS_SERVER_PODS}), the same RBAC (a RoleBinding in the apps' namespace to
 * {@link PROMETHEUS_DISCOVERY_ROLE}), the same scrape job, global settings and alert rules
 * (`prometheus.yml` and `alerting_rules.yml` in a ConfigMap at /etc/config), restricted security, data
 * on an emptyDir. The pod restarts when the configuration changes (its checksum annotation).
 */
export class PrometheusServer extends Construct {
  readonly podSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    super(scope, id);
    const { namespace } = props;
    const name = PROMETHEUS_SERVER_NAME;
    this.podSelector = { ...PROMETHEUS_SERVER_PODS, 'app.kubernetes.io/instance': PROMETHEUS_RELEASE };
    const labels = { ...this.podSelector, 'app.kubernetes.io/part-of': PART_OF };

    const account = new k8s.KubeServiceAccount(this, 'account', { metadata: { name, namespace, labels }, automountServiceAccountToken: false });
    new k8s.KubeRoleBinding(this, 'discovery', {
      metadata: { name, namespace: props.appNamespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PROMETHEUS_DISCOVERY_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: account.name, namespace }],
    });
    const configDir = PROMETHEUS_ALERT_RULES_PATH.slice(0, PROMETHEUS_ALERT_RULES_PATH.lastIndexOf('/'));
    const files = {
      'prometheus.yml': stringify(prometheusConfig({ appNamespace: props.appNamespace, ruleFile: PROMETHEUS_ALERT_RULES_PATH })),
      'alerting_rules.yml': alertRulesYaml({ job: PROMETHEUS_APPS_JOB }),
    };
    const config = new k8s.KubeConfigMap(this, 'config', { metadata: { name, namespace, labels }, data: files });
    const checksum = createHash('sha256').update(JSON.stringify(files)).digest('hex');

    const probe = (path: string, failureThreshold: number): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromNumber(PROMETHEUS_PORT) },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold,
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        // one TSDB on an emptyDir: the old pod goes before the new one starts
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { ...this.podSelector } },
        template: {
          metadata: { labels, annotations: { 'checksum/config': checksum } },
          spec: {
            serviceAccountName: account.name,
            // the pod discovery reads the API (the RoleBinding above)
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            imagePullSecrets: [{ name: props.imagePullSecret }],
            securityContext: restrictedPodSecurityContext(PROMETHEUS_UID),
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'prometheus-server',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  `--config.file=${configDir}/prometheus.yml`,
                  '--storage.tsdb.path=/data',
                  `--storage.tsdb.retention.time=${PROMETHEUS_RETENTION}`,
                  `--web.listen-address=:${PROMETHEUS_PORT}`,
                ],
                ports: [{ name: 'http', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(props.cpuRequest ?? PROMETHEUS_RESOURCES.requests.cpu), memory: k8s.Quantity.fromString(PROMETHEUS_RESOURCES.requests.memory) },
                  limits: { cpu: k8s.Quantity.fromString(PROMETHEUS_RESOURCES.limits.cpu), memory: k8s.Quantity.fromString(PROMETHEUS_RESOURCES.limits.memory) },
                },
                readinessProbe: probe('/-/ready', 3),
                livenessProbe: probe('/-/healthy', 6),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'config', mountPath: configDir, readOnly: true },
                  { name: 'data', mountPath: '/data' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: config.name } },
              { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: { ...this.podSelector },
        ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(PROMETHEUS_PORT), protocol: 'TCP' }],
      },
    });
  }
}

export interface PrometheusEgressProps {
  /** The monitoring namespace (where the server runs). */
  readonly namespace: string;
  readonly appNamespace: string;
  /** The apps' HTTP ports (`/metrics`). */
  readonly metricsPorts: readonly number[];
  /** Ports of the Kubernetes API (the pod discovery): the `kubernetes` Service's and its endpoints'. @default [443, 6443] */
  readonly apiServerPorts?: readonly number[];
}

/**
 * Egress of the Prometheus server: the apps' pods on their metrics ports, and the Kubernetes API for
 * its pod discovery (reached by its Service address, whatever the control plane's address; only the
 * ports name it). Nothing else: no other pod, no DNS (the discovery gives pod addresses).
 */
export class PrometheusEgress extends Construct {
  constructor(scope: Construct, id: string, props: PrometheusEgressProps) {
    super(scope, id);
    const tcp = (port: number) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    new k8s.KubeNetworkPolicy(this, 'policy', {
      metadata: { name: 'prometheus-egress', namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: { ...PROMETHEUS_SERVER_PODS } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.appNamespace } },
                podSelector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } },
              },
            ],
            ports: [...new Set(props.metricsPorts)].map(tcp),
          },
          { ports: (props.apiServerPorts ?? [443, 6443]).map(tcp) },
        ],
      },
    });
  }
}
