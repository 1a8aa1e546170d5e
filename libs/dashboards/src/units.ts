/** Currency symbols for the ISO codes scenarios use as a unit (money is stored in cents). */
const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = { GTQ: 'Q', USD: '$', EUR: '€' };

/** Grafana's own unit ids for units scenarios name. */
const GRAFANA_UNITS: Readonly<Record<string, string>> = { '%': 'percent', '°C': 'celsius', s: 's', ms: 'ms', bytes: 'bytes' };

/**
 * The Grafana unit id for a scenario's unit: a currency code becomes `currency:<symbol>`, a known
 * unit its Grafana id, anything else a suffix (`suffix: reports`). No unit: `short`.
 */
export function grafanaUnit(unit: string | undefined): string {
  if (!unit) return 'short';
  if (CURRENCY_SYMBOLS[unit]) return `currency:${CURRENCY_SYMBOLS[unit]}`;
  if (GRAFANA_UNITS[unit]) return GRAFANA_UNITS[unit];
  return `suffix: ${unit}`;
}

/** Decimals to show for a value stored as an integer and divided by `scale` (100 → 2, 10 → 1). */
export function decimalsFor(scale: number | undefined): number {
  return scale && scale > 1 ? Math.round(Math.log10(scale)) : 0;
}
