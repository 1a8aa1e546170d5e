import { dashboardsFor, VALKEY_DATASOURCE, type DashboardFile, type DatasourceRef } from '@oleada/dashboards';
import { GrafanaDashboards, GrafanaDatasource, VALKEY_USERS, type ValkeyPair } from '@oleada/k8s';
import type { AnyScenario } from '@oleada/scenarios';
import { ScenarioKeys } from '@oleada/valkey-schema';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';
import { brokerPaths } from './pipeline';

/**
 * The dashboards for these scenarios. When each broker path keeps its aggregates under its own key
 * variant (both brokers), every scenario gets one dashboard per variant (`<scenario>-<variant>`,
 * its own uid and title); the pipeline-health dashboard stays one.
 */
export function dashboardFiles(scenarios: readonly AnyScenario[], variants: readonly (string | undefined)[], valkey: DatasourceRef): DashboardFile[] {
  const keyed = variants.filter((v): v is string => v !== undefined);
  if (keyed.length === 0) return dashboardsFor(scenarios, { valkey });
  const perVariant = keyed.flatMap((variant) =>
    dashboardsFor(scenarios, { valkey, pipeline: false, keysFor: (s) => new ScenarioKeys(s.name, { variant }) }).map((d) => {
      const uid = `${d.uid}-${variant}`;
      const title = `${d.title} (${variant})`;
      return { name: `${d.name}-${variant}`, uid, title, json: { ...d.json, uid, title } };
    }),
  );
  // Without scenarios, dashboardsFor gives the pipeline-health dashboard alone.
  return [...perVariant, ...dashboardsFor([], { valkey })];
}

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
    const variants = brokerPaths(config.brokerMode).map((p) => p.variant);
    new GrafanaDashboards(this, 'dashboards', {
      namespace,
      dashboards: Object.fromEntries(
        dashboardFiles(config.scenarios, variants, { ...VALKEY_DATASOURCE, uid: this.datasource.uid }).map((d) => [d.name, d.json]),
      ),
    });
  }
}
