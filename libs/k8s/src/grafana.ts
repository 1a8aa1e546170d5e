import type { AnyScenario } from '@oleada/scenarios';
import { ScenarioKeys, type Aggregate } from '@oleada/valkey-schema';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { k8s } from './k8s';
import { PART_OF } from './labels';
import type { SecretKeyRef } from './workload';

/** Labels the Grafana chart's sidecar watches (set in the values below and on the ConfigMaps). */
export const GRAFANA_DATASOURCE_LABEL = 'grafana_datasource';
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
/** The Valkey data source plugin (grafana.com id). */
export const REDIS_DATASOURCE_PLUGIN = 'redis-datasource';
/** Environment variable of the Grafana container holding the Valkey password. */
const VALKEY_PASSWORD_ENV = 'OLEADA_VALKEY_PASSWORD';

export interface GrafanaDatasourceProps {
  /** Grafana's namespace (the sidecar searches it). */
  readonly namespace: string;
  /** Stable uid dashboards refer to. @default 'oleada-valkey' */
  readonly uid?: string;
  /** URL of the Valkey replica, `redis://host:port`. */
  readonly url: string;
  /** Read-only ACL user; its password comes from Grafana's environment (see `grafanaHelmValues`). */
  readonly username: string;
}

/** The Valkey data source, provisioned by the Grafana sidecar from a labelled ConfigMap. */
export class GrafanaDatasource extends Construct {
  readonly uid: string;
  readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: GrafanaDatasourceProps) {
    super(scope, id);
    this.uid = props.uid ?? 'oleada-valkey';
    const provisioning = {
      apiVersion: 1,
      datasources: [
        {
          name: 'Valkey (replica)',
          uid: this.uid,
          type: REDIS_DATASOURCE_PLUGIN,
          access: 'proxy',
          url: props.url,
          isDefault: true,
          editable: false,
          jsonData: { client: 'standalone', acl: true, user: props.username, poolSize: 5, timeout: 10 },
          // Grafana expands environment variables in provisioning files; the value never lands in the ConfigMap.
          secureJsonData: { password: `$${VALKEY_PASSWORD_ENV}` },
        },
      ],
    };
    this.configMap = new k8s.KubeConfigMap(this, 'configmap', {
      metadata: {
        name: 'grafana-datasource-valkey',
        namespace: props.namespace,
        labels: { [GRAFANA_DATASOURCE_LABEL]: '1', 'app.kubernetes.io/part-of': PART_OF },
      },
      data: { 'valkey.yaml': stringify(provisioning) },
    });
  }
}

export interface GrafanaDashboardsProps {
  readonly namespace: string;
  /** Dashboard JSON models by file name (without `.json`), e.g. `{ blackfriday: {...} }`. */
  readonly dashboards: Readonly<Record<string, object>>;
  /** Folder shown in Grafana. @default 'Oleada' */
  readonly folder?: string;
}

/** Dashboards for the sidecar: one labelled ConfigMap per dashboard (each stays far below 1 MiB). */
export class GrafanaDashboards extends Construct {
  readonly configMaps: k8s.KubeConfigMap[];

  constructor(scope: Construct, id: string, props: GrafanaDashboardsProps) {
    super(scope, id);
    this.configMaps = Object.entries(props.dashboards).map(
      ([name, dashboard]) =>
        new k8s.KubeConfigMap(this, name, {
          metadata: {
            name: `grafana-dashboard-${name}`,
            namespace: props.namespace,
            labels: { [GRAFANA_DASHBOARD_LABEL]: '1', 'app.kubernetes.io/part-of': PART_OF },
            annotations: { grafana_folder: props.folder ?? 'Oleada' },
          },
          data: { [`${name}.json`]: JSON.stringify(dashboard, null, 2) },
        }),
    );
  }
}

/** One Grafana panel reading one aggregate; undefined for aggregates a plain Valkey query cannot show. */
function panelFor(aggregate: Aggregate<unknown>, keys: ScenarioKeys, datasource: { type: string; uid: string }, id: number) {
  const key = keys.metric(aggregate.metric);
  const base = { id, title: aggregate.title, datasource, fieldConfig: { defaults: { unit: aggregate.unit ?? 'short' }, overrides: [] } };
  const scale =
    aggregate.scale && aggregate.scale !== 1
      ? [{ id: 'calculateField', options: { mode: 'binary', binary: { left: 'Value', operator: '/', right: String(aggregate.scale) }, replaceFields: true } }]
      : [];
  switch (aggregate.kind) {
    case 'hash':
    case 'min':
    case 'max':
      return {
        ...base,
        type: 'barchart',
        targets: [{ refId: 'A', datasource, type: 'command', command: 'hgetall', keyName: key, query: '' }],
        transformations: scale,
        options: { orientation: 'auto', showValue: 'auto', legend: { showLegend: false } },
      };
    case 'zset':
      return {
        ...base,
        type: 'table',
        targets: [{ refId: 'A', datasource, type: 'cli', query: `ZREVRANGE ${key} 0 9 WITHSCORES` }],
      };
    case 'counter':
      return { ...base, type: 'stat', targets: [{ refId: 'A', datasource, type: 'command', command: 'get', keyName: key, query: '' }] };
    case 'bucket':
      // One key per minute: needs a time-series builder (a later dashboard issue).
      return undefined;
  }
}

/**
 * A simple dashboard for one scenario, derived from its aggregates: the headline aggregate first
 * and wide, then one panel per aggregate. Per-minute buckets are not shown yet.
 */
export function scenarioDashboard(scenario: AnyScenario, datasourceUid: string): object {
  const keys = new ScenarioKeys(scenario.name);
  const datasource = { type: REDIS_DATASOURCE_PLUGIN, uid: datasourceUid };
  const ordered = [...scenario.aggregates].sort((a, b) => Number(b.metric === scenario.headline) - Number(a.metric === scenario.headline));
  const panels = [];
  let y = 0;
  let x = 0;
  for (const aggregate of ordered) {
    const panel = panelFor(aggregate, keys, datasource, panels.length + 1);
    if (!panel) continue;
    const headline = aggregate.metric === scenario.headline;
    const w = headline ? 24 : 12;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    panels.push({ ...panel, gridPos: { x, y, w, h: 8 } });
    x += w;
    if (x >= 24) {
      x = 0;
      y += 8;
    }
  }
  return {
    uid: `oleada-${scenario.name}`,
    title: `Oleada — ${scenario.title}`,
    description: scenario.description,
    tags: ['oleada', scenario.name],
    timezone: 'browser',
    refresh: '5s',
    time: { from: 'now-15m', to: 'now' },
    schemaVersion: 39,
    editable: true,
    panels,
  };
}

export interface GrafanaHelmValuesProps {
  /** Secret with the admin user and password (keys `admin-user`, `admin-password`). */
  readonly adminSecretName: string;
  /** The Valkey password of the data source's user. */
  readonly valkeyPassword: SecretKeyRef;
  /** Grafana's namespace, where the sidecar looks for ConfigMaps. */
  readonly namespace: string;
}

/**
 * Values for the Grafana Helm chart: the redis-datasource plugin, sidecars loading data sources and
 * dashboards from labelled ConfigMaps, the admin password from a Secret, restricted security.
 */
export function grafanaHelmValues(props: GrafanaHelmValuesProps): Record<string, unknown> {
  return {
    admin: { existingSecret: props.adminSecretName, userKey: 'admin-user', passwordKey: 'admin-password' },
    plugins: [REDIS_DATASOURCE_PLUGIN],
    envValueFrom: { [VALKEY_PASSWORD_ENV]: { secretKeyRef: { name: props.valkeyPassword.secretName, key: props.valkeyPassword.key } } },
    sidecar: {
      datasources: { enabled: true, label: GRAFANA_DATASOURCE_LABEL, labelValue: '1', searchNamespace: props.namespace },
      dashboards: {
        enabled: true,
        label: GRAFANA_DASHBOARD_LABEL,
        labelValue: '1',
        searchNamespace: props.namespace,
        folderAnnotation: 'grafana_folder',
        provider: { foldersFromFilesStructure: true },
      },
    },
    persistence: { enabled: false },
    service: { type: 'ClusterIP', port: 80 },
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    securityContext: { runAsNonRoot: true, runAsUser: 472, runAsGroup: 472, fsGroup: 472, seccompProfile: { type: 'RuntimeDefault' } },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    extraEmptyDirMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}
