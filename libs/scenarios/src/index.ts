// What other projects use of @oleada/scenarios; the rest is this lib's own.
export { blackfridayScenario, CATEGORIES, type SaleBody } from './blackfriday/blackfriday.scenario';
export { olympicsScenario, OUTCOME_TOPICS, OUTCOMES } from './olympics/olympics.scenario';
export { eventRandom, seededRandom } from './random';
export { getScenario, scenarioForTopic, scenarioNames, SCENARIOS, scenariosVariable, selectScenarios } from './registry';
export { type AnyScenario, batchRoute, canonicalRoute, InvalidRecordError, queuesOf, relayBatchRoute, relayRoute, type ScenarioDefinition } from './scenario';
export { weatherScenario } from './weather/weather.scenario';
