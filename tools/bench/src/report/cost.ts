import { LOAD_GENERATOR, TRACE_STORE, type ProcessUsage } from '../measure/processes';
import type { StackRunResult } from '../stack-run';

/** Processes measured beside the stack but not counted in its cost. */
const BESIDE_THE_STACK = new Set([LOAD_GENERATOR, TRACE_STORE]);

/** Columns of the cost table: each role of the chain (replicas summed), then the servers. */
const ROLE_ORDER = ['gateway', 'relay', 'writers', 'consumer', 'kafka', 'rabbitmq', 'valkey'];

/** writer-1, writer-2a → writers; consumer-kafka → consumer; the servers keep their names. */
export function roleOf(process: string): string {
  if (/^writer(-|$)/.test(process)) return 'writers';
  return process.replace(/-(\d+[a-z]?|kafka|rabbitmq)$/, '');
}

/** CPU-ms per counted event of each role (replicas summed), in the chain's order. */
export function costByRole(processes: readonly ProcessUsage[]): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const p of processes) {
    if (BESIDE_THE_STACK.has(p.name) || p.cpuMsPerEvent === undefined) continue;
    const role = roleOf(p.name);
    byRole.set(role, (byRole.get(role) ?? 0) + p.cpuMsPerEvent);
  }
  const rank = (role: string) => (ROLE_ORDER.includes(role) ? ROLE_ORDER.indexOf(role) : ROLE_ORDER.length);
  return new Map([...byRole].sort((a, b) => rank(a[0]) - rank(b[0])));
}

/**
 * CPU milliseconds the stack spent per counted event: every app, the broker and Valkey, without
 * the load generator. The machine-independent figure: it does not depend on how many cores were
 * free, only on how much work an event takes.
 */
export function stackCpuMsPerEvent(run: Pick<StackRunResult, 'processes'>): number | undefined {
  const costs = run.processes.filter((p) => !BESIDE_THE_STACK.has(p.name) && p.cpuMsPerEvent !== undefined);
  return costs.length ? costs.reduce((s, p) => s + (p.cpuMsPerEvent ?? 0), 0) : undefined;
}

/** The load generator's CPU-ms per event, reported beside (not in) the stack's cost. */
export function generatorCpuMsPerEvent(run: Pick<StackRunResult, 'processes'>): number | undefined {
  return run.processes.find((p) => p.name === LOAD_GENERATOR)?.cpuMsPerEvent;
}

/** The trace store's CPU-ms per event, when one ran beside the stack. */
export function traceStoreCpuMsPerEvent(run: Pick<StackRunResult, 'processes'>): number | undefined {
  return run.processes.find((p) => p.name === TRACE_STORE)?.cpuMsPerEvent;
}
