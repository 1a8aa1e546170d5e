/** The Valkey data source plugin (grafana.com id of RedisGrafana's redis-datasource). */
export const REDIS_DATASOURCE_PLUGIN = 'redis-datasource';

/** How a panel or a query names its data source: by type and a stable uid set at provisioning. */
export interface DatasourceRef {
  readonly type: string;
  readonly uid: string;
}

/** The Valkey replica, read through the redis-datasource plugin. */
export const VALKEY_DATASOURCE: DatasourceRef = { type: REDIS_DATASOURCE_PLUGIN, uid: 'oleada-valkey' };
/** The Prometheus that scrapes every app's `/metrics`. */
export const PROMETHEUS_DATASOURCE: DatasourceRef = { type: 'prometheus', uid: 'oleada-prometheus' };

/** The Prometheus data source's `timeInterval`: the apps' scrape interval, the floor of `$__interval`. */
export const PROMETHEUS_TIME_INTERVAL = '15s';

/** Environment variable of the Grafana container that holds the Valkey user's password. */
export const VALKEY_PASSWORD_ENV = 'OLEADA_VALKEY_PASSWORD';

export interface GrafanaDatasourcesProps {
  /** Host of the `valkey-replica` Service, fully qualified when Grafana runs in another namespace. */
  readonly valkeyReplicaHost: string;
  /** @default 6379 */
  readonly valkeyPort?: number;
  /** Read-only Valkey ACL user. */
  readonly valkeyUsername: string;
  /**
   * Environment variable of the Grafana container holding that user's password (filled from a
   * Secret); Grafana expands it when it reads the provisioning file.
   * @default VALKEY_PASSWORD_ENV
   */
  readonly valkeyPasswordEnv?: string;
  /** Base URL of Prometheus, e.g. `http://prometheus-server.monitoring.svc.cluster.local`. */
  readonly prometheusUrl: string;
  /** @default VALKEY_DATASOURCE.uid */
  readonly valkeyUid?: string;
  /** @default PROMETHEUS_DATASOURCE.uid */
  readonly prometheusUid?: string;
}

/** A Grafana data source provisioning file (`apiVersion: 1`). */
export interface DatasourceProvisioning {
  readonly apiVersion: 1;
  readonly datasources: ReadonlyArray<Record<string, unknown>>;
}

/**
 * The data sources every Oleada dashboard reads: the Valkey replica (redis-datasource, ACL user,
 * password from the environment — never in the file) and Prometheus.
 */
export function grafanaDatasources(props: GrafanaDatasourcesProps): DatasourceProvisioning {
  const passwordEnv = props.valkeyPasswordEnv ?? VALKEY_PASSWORD_ENV;
  if (!/^[A-Z_][A-Z0-9_]*$/.test(passwordEnv)) throw new Error(`valkeyPasswordEnv "${passwordEnv}" is not an environment variable name`);
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Valkey (replica)',
        uid: props.valkeyUid ?? VALKEY_DATASOURCE.uid,
        type: REDIS_DATASOURCE_PLUGIN,
        access: 'proxy',
        url: `redis://${props.valkeyReplicaHost}:${props.valkeyPort ?? 6379}`,
        isDefault: true,
        editable: false,
        jsonData: { client: 'standalone', acl: true, user: props.valkeyUsername, poolSize: 5, timeout: 10 },
        secureJsonData: { password: `$${passwordEnv}` },
      },
      {
        name: 'Prometheus',
        uid: props.prometheusUid ?? PROMETHEUS_DATASOURCE.uid,
        type: PROMETHEUS_DATASOURCE.type,
        access: 'proxy',
        url: props.prometheusUrl,
        isDefault: false,
        editable: false,
        jsonData: { httpMethod: 'POST', timeInterval: PROMETHEUS_TIME_INTERVAL },
      },
    ],
  };
}
