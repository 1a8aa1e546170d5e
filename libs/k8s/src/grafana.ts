import { grafanaDatasources, REDIS_DATASOURCE_PLUGIN, VALKEY_DATASOURCE, VALKEY_PASSWORD_ENV } from '@oleada/dashboards';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { k8s } from './k8s';
import { PART_OF } from './labels';
import { prometheusServerUrl } from './prometheus';
import { pinned } from './versions';
import type { SecretKeyRef } from './workload';

/** Labels the Grafana chart's sidecar watches (set in the values below and on the ConfigMaps). */
export const GRAFANA_DATASOURCE_LABEL = 'grafana_datasource';
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
/** The Valkey data source plugin (grafana.com id); the data sources and dashboards come from @oleada/dashboards. */
export { REDIS_DATASOURCE_PLUGIN };
/** The grafana-community/grafana chart version the values below are written for (Grafana 13.2), pinned in versions.json. */
export const GRAFANA_CHART_VERSION = pinned('grafana').version;
/** Where that chart lives since grafana/helm-charts froze it (2026-01-30). */
export const GRAFANA_HELM_REPOSITORY = pinned('grafana').repository!;
/** The plugin as Grafana's `preinstall_sync` takes it, `id@version`: installed before start, never upgraded behind our back. */
export const REDIS_DATASOURCE_PLUGIN_PIN = `${REDIS_DATASOURCE_PLUGIN}@${pinned('redis-datasource').version}`;

export interface GrafanaDatasourceProps {
  /** Grafana's namespace (the sidecar searches it). */
  readonly namespace: string;
  /** Stable uid dashboards refer to. @default 'oleada-valkey' */
  readonly uid?: string;
  /** URL of the Valkey replica, `redis://host:port`. */
  readonly url: string;
  /** Read-only ACL user; its password comes from Grafana's environment (see `grafanaHelmValues`). */
  readonly username: string;
  /**
   * Prometheus scraping the apps (the pipeline dashboard's data source).
   * @default - the `prometheus` release of prometheus-community/prometheus in `namespace`
   */
  readonly prometheusUrl?: string;
}

/** The data sources (Valkey replica, Prometheus), provisioned by the Grafana sidecar from a labelled ConfigMap. */
export class GrafanaDatasource extends Construct {
  readonly uid: string;
  readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: GrafanaDatasourceProps) {
    super(scope, id);
    this.uid = props.uid ?? VALKEY_DATASOURCE.uid;
    const replica = new URL(props.url);
    const provisioning = grafanaDatasources({
      valkeyReplicaHost: replica.hostname,
      valkeyPort: Number(replica.port || 6379),
      valkeyUsername: props.username,
      valkeyUid: this.uid,
      prometheusUrl: props.prometheusUrl ?? prometheusServerUrl(props.namespace),
    });
    this.configMap = new k8s.KubeConfigMap(this, 'configmap', {
      metadata: {
        name: 'grafana-datasources',
        namespace: props.namespace,
        labels: { [GRAFANA_DATASOURCE_LABEL]: '1', 'app.kubernetes.io/part-of': PART_OF },
      },
      data: { 'datasources.yaml': stringify(provisioning) },
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

export interface GrafanaHelmValuesProps {
  /** Secret with the admin user and password (keys `admin-user`, `admin-password`). */
  readonly adminSecretName: string;
  /** The Valkey password of the data source's user. */
  readonly valkeyPassword: SecretKeyRef;
  /** Grafana's namespace, where the sidecar looks for ConfigMaps. */
  readonly namespace: string;
}

/**
 * Values for the grafana-community/grafana chart ({@link GRAFANA_CHART_VERSION}): the redis-datasource
 * plugin at its pinned version, sidecars loading data sources and dashboards from labelled ConfigMaps,
 * the admin password from a Secret, restricted security with a read-only root.
 *
 * Grafana 13 ships Prometheus (and a dozen other data sources) as bundled plugins in the image's
 * read-only `/usr/share/grafana/data/plugins-bundled`. At start its background installer replaces every
 * bundled plugin with a newer catalog release, unlinking the bundled copy first: on a read-only root that
 * fails (`unlinkat … read-only file system`) after the plugin was already stopped, and the Prometheus
 * data source is gone ("Could not find plugin definition"; grafana-community/helm-charts#787, #729).
 * `preinstall_auto_update = false` makes the installer keep installed plugins that no version pin asks
 * to change (Grafana's pkg/services/pluginsintegration/plugininstaller), so Prometheus stays the one the
 * pinned image bundles and the root stays read-only. The chart's own `shadowBundledPlugins` (an emptyDir
 * over that directory) is not used: it hides every bundled plugin not listed in `plugins`, Prometheus
 * included, which would then be downloaded from grafana.com at every start.
 */
export function grafanaHelmValues(props: GrafanaHelmValuesProps): Record<string, unknown> {
  return {
    admin: { existingSecret: props.adminSecretName, userKey: 'admin-user', passwordKey: 'admin-password' },
    plugins: [REDIS_DATASOURCE_PLUGIN_PIN],
    'grafana.ini': { plugins: { preinstall_auto_update: false } },
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
