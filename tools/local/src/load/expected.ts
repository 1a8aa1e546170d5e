import { blackfridayScenario as scenario, type SaleBody } from '@oleada/scenarios';

/** What a set of Black Friday sales must add to the aggregates, per category. */
export interface SalesExpectation {
  readonly total: number;
  readonly reports: Record<string, number>;
  readonly units: Record<string, number>;
  readonly revenue: Record<string, number>;
}

/** The expected increments, computed through the same wire encoding and decoding the pipeline uses. */
export function expectedSales(bodies: readonly SaleBody[]): SalesExpectation {
  const out = { total: bodies.length, reports: {} as Record<string, number>, units: {} as Record<string, number>, revenue: {} as Record<string, number> };
  for (const body of bodies) {
    const r = scenario.decode(scenario.encode(scenario.toMessage(body)), { eventId: '', acceptedAt: 0, topic: '' });
    out.reports[r.categoria] = (out.reports[r.categoria] ?? 0) + 1;
    out.units[r.categoria] = (out.units[r.categoria] ?? 0) + r.quantity;
    out.revenue[r.categoria] = (out.revenue[r.categoria] ?? 0) + r.priceCents * r.quantity;
  }
  return out;
}

/** Field-by-field `after - before`, keeping only the fields that changed. */
export function hashDelta(after: Record<string, number> = {}, before: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}
