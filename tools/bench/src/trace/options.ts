import { DEFAULT_JAEGER_PORT, opt } from '@oleada/local';

/** Options of the bench's traced runs: the `traces` section and `--ab-tracing`, beside the others in cli/bench.ts. */
export const TRACE_OPTIONS = {
  'trace-ratio': opt.number("traces: ratio of events (above 0, up to 1) the traced runs of \"where an event's time goes\" sample", { default: 0.1, min: 0, valueName: 'RATIO' }),
  'jaeger-port': opt.port('the Jaeger the traced runs export to (traces, --ab-tracing): OTLP/HTTP, then its query API and five more ports', { defaultText: `${DEFAULT_JAEGER_PORT} + --port-offset` }),
};

/** What is wrong with the tracing part of a command line, or undefined. */
export function checkTraceOptions(values: { 'trace-ratio'?: number }): string | undefined {
  const ratio = values['trace-ratio'];
  if (ratio !== undefined && (ratio <= 0 || ratio > 1)) return `--trace-ratio: a ratio of events above 0 and up to 1 (0.1 is 10 %), got ${ratio}`;
  return undefined;
}

/** The first of the bench's Jaeger ports: --jaeger-port, else the default moved by --port-offset like the stacks' ports. */
export function benchJaegerPort(values: { 'jaeger-port'?: number; 'port-offset'?: number }): number {
  return values['jaeger-port'] ?? DEFAULT_JAEGER_PORT + Number(values['port-offset'] ?? 0);
}
