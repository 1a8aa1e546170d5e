import { env } from '@oleada/shared';
import { blackfridayScenario } from './blackfriday/blackfriday.scenario';
import { olympicsScenario } from './olympics/olympics.scenario';
import type { AnyScenario } from './scenario';
import { weatherScenario } from './weather/weather.scenario';

/** Every scenario Oleada knows, by name. The first is the default. */
export const SCENARIOS: readonly AnyScenario[] = [blackfridayScenario, weatherScenario, olympicsScenario];
export const DEFAULT_SCENARIO = SCENARIOS[0].name;

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function getScenario(name: string): AnyScenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario "${name}" (known: ${scenarioNames().join(', ')})`);
  return scenario;
}

/**
 * The `SCENARIOS` variable of an app's configuration: a comma-separated list of known scenario names
 * (the default scenario when unset), so an unknown name is reported with the other bad variables.
 */
export function scenariosVariable() {
  return env
    .list()
    .default([DEFAULT_SCENARIO])
    .superRefine((names, context) => {
      const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
      if (unknown.length > 0) context.addIssue({ code: 'custom', message: `unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${scenarioNames().join(', ')})` });
    })
    .describe(`comma-separated scenarios this process serves (${scenarioNames().map((name) => `\`${name}\``).join(', ')})`);
}

/** Resolves a `SCENARIOS` list; unknown names are an error naming them. */
export function selectScenarios(names: readonly string[]): AnyScenario[] {
  return names.map(getScenario);
}

/** Which scenario owns a topic (the consumer reads several topics at once). */
export function scenarioForTopic(scenarios: readonly AnyScenario[], topic: string): AnyScenario | undefined {
  return scenarios.find((s) => s.topics.includes(topic));
}
