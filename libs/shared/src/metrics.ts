import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Health } from './health';
import { METRIC_NAMES } from './metric-names';

export type { Counter, Gauge, Histogram };

/** Latency buckets in seconds: sub-millisecond hops up to multi-second stalls. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One registry per process, labelled with the service name. */
export class Metrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets = LATENCY_BUCKETS): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /**
   * `oleada_dependency_up{dependency}` from `health`'s checks, read at each scrape: an alert can name
   * the dependency a process lost (readiness alone says only that one is down). Once per registry.
   */
  watchDependencies(health: Health): void {
    if (this.registry.getSingleMetric(METRIC_NAMES.dependencyUp)) return;
    new Gauge({
      name: METRIC_NAMES.dependencyUp,
      help: 'Whether the readiness check of a dependency is up (1) or down (0)',
      labelNames: ['dependency'],
      registers: [this.registry],
      collect() {
        for (const [dependency, state] of Object.entries(health.report().checks)) this.set({ dependency }, state === 'up' ? 1 : 0);
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
