import type { AnyScenario } from '@oleada/scenarios';
import type { ScenarioKeys } from '@oleada/valkey-schema';
import { PROMETHEUS_DATASOURCE, VALKEY_DATASOURCE, type DatasourceRef } from './datasources';
import { pipelineDashboard } from './pipeline-dashboard';
import { scenarioDashboard } from './scenario-dashboard';

/** One dashboard as Grafana provisioning reads it. */
export interface DashboardFile {
  readonly uid: string;
  /** File name without `.json` (a ConfigMap key): the scenario's name, or `pipeline`. */
  readonly name: string;
  readonly title: string;
  /** The dashboard JSON model. */
  readonly json: Record<string, unknown>;
}

export interface DashboardsOptions {
  /** @default VALKEY_DATASOURCE */
  readonly valkey?: DatasourceRef;
  /** @default PROMETHEUS_DATASOURCE */
  readonly prometheus?: DatasourceRef;
  /** Keys a scenario's panels read (tests point them at their own namespace). @default the scenario's own */
  readonly keysFor?: (scenario: AnyScenario) => ScenarioKeys;
  /** Include the Prometheus pipeline-health dashboard. @default true */
  readonly pipeline?: boolean;
}

function file(name: string, json: Record<string, unknown>): DashboardFile {
  return { uid: String(json.uid), name, title: String(json.title), json };
}

/** Every dashboard for these scenarios: one per scenario (from its definition), then pipeline health. */
export function dashboardsFor(scenarios: readonly AnyScenario[], options: DashboardsOptions = {}): DashboardFile[] {
  const valkey = options.valkey ?? VALKEY_DATASOURCE;
  const files = scenarios.map((scenario) => file(scenario.name, scenarioDashboard(scenario, { valkey, keys: options.keysFor?.(scenario) })));
  if (options.pipeline !== false) files.push(file('pipeline', pipelineDashboard({ prometheus: options.prometheus ?? PROMETHEUS_DATASOURCE })));
  const names = new Set(files.map((f) => f.name));
  if (names.size !== files.length) throw new Error(`dashboard names collide: ${files.map((f) => f.name).join(', ')}`);
  return files;
}
