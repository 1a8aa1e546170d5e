import { dashboardsFor, VALKEY_DATASOURCE } from '@oleada/dashboards';
import { GrafanaDashboards, GrafanaDatasource, VALKEY_USERS, type ValkeyPair } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** What Grafana's sidecars load: the Valkey replica and Prometheus as data sources, a dashboard per scenario and pipeline health. */
export class GrafanaChart extends Chart {
  readonly datasource: GrafanaDatasource;

  constructor(scope: Construct, id: string, config: DeployConfig, props: { readonly valkey: ValkeyPair }) {
    super(scope, id);
    const namespace = config.namespaces.monitoring;
    this.datasource = new GrafanaDatasource(this, 'datasource', {
      namespace,
      url: props.valkey.replicaUrl,
      username: VALKEY_USERS.grafana.name,
    });
    new GrafanaDashboards(this, 'dashboards', {
      namespace,
      dashboards: Object.fromEntries(
        dashboardsFor(config.scenarios, { valkey: { ...VALKEY_DATASOURCE, uid: this.datasource.uid } }).map((d) => [d.name, d.json]),
      ),
    });
  }
}
