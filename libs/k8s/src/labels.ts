/** The label every Oleada object carries, so `kubectl get all -l app.kubernetes.io/part-of=oleada` finds them all. */
export const PART_OF = 'oleada';

/** Labels a workload's pods carry and its Services and policies select on. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };
}

/** Selector labels plus the component (`gateway`, `writer`, `valkey`, …) for humans and dashboards. */
export function workloadLabels(name: string, component: string): Record<string, string> {
  return { ...selectorLabels(name), 'app.kubernetes.io/component': component };
}
