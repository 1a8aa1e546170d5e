// What other projects use of @oleada/dashboards; the rest is this lib's own.
export { ALERT_NAMES, alertRuleFile, alertRuleGroups, alertRulesYaml } from './alert-rules';
export { type DashboardFile, dashboardsFor } from './dashboards';
export { type DatasourceRef, grafanaDatasources, REDIS_DATASOURCE_PLUGIN, VALKEY_DATASOURCE, VALKEY_PASSWORD_ENV } from './datasources';
export { type DashboardModel, isRedisQuery, type PanelModel, parseDashboard, type StoredRedisQuery, type VariableModel } from './model';
export { pipelineSeries } from './pipeline-dashboard';
export { CATEGORY_VARIABLE, DEFAULT_TOP_N, headlineOf, TIME_FIELD } from './scenario-dashboard';
export { type BinaryOperator, type BinaryValue, calculate, convertFieldType, filterFieldsByName, organize, reduceToRows, ROWS, sortBy, type Transformation } from './transformations';
export { parseDuration } from './query-check';
