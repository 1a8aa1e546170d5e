import type { AnyScenario } from '@oleada/scenarios';
import { readCounter, ScenarioKeys } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';

/** Name of the counter every scenario keeps of its events (declared in its aggregates). */
export function totalMetric(scenario: AnyScenario): string {
  const counter = scenario.aggregates.find((a) => a.kind === 'counter');
  if (!counter) throw new Error(`scenario ${scenario.name} declares no counter aggregate`);
  return counter.metric;
}

/**
 * Polls the scenario's total until it reached `baseline + expected` and stayed there for
 * `settleMs` (so late duplicates would show), or until `timeoutMs`. Returns the counted delta and
 * the seconds from `since` (or the first poll) until the count was reached.
 */
export async function waitCounted(
  valkey: Valkey,
  scenario: AnyScenario,
  baseline: number,
  expected: number,
  options: { timeoutMs?: number; settleMs?: number; keys?: ScenarioKeys; /** performance.now() when sending began. */ since?: number } = {},
): Promise<{ counted: number; seconds: number }> {
  const keys = options.keys ?? new ScenarioKeys(scenario.name);
  const key = keys.metric(totalMetric(scenario));
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 120_000);
  let reachedAt: number | undefined;
  let counted = 0;
  while (performance.now() < deadline) {
    counted = (await readCounter(valkey, key)) - baseline;
    if (counted >= expected) {
      reachedAt ??= performance.now();
      if (performance.now() - reachedAt >= (options.settleMs ?? 1000)) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { counted, seconds: ((reachedAt ?? performance.now()) - (options.since ?? started)) / 1000 };
}
