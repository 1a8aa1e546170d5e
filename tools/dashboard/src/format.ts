/**
 * Grafana's value formatting for the unit ids Oleada's dashboards use (grafana-data
 * valueFormats: `suffix:`, `currency:`, `short`, `celsius`, `percent`).
 */

function fixed(value: number, decimals: number | undefined): string {
  return decimals === undefined ? String(Math.round(value * 1000) / 1000) : value.toFixed(decimals);
}

/** Divides by 1000 while it can, like Grafana's scaledUnits(1000, steps). */
function scaled(value: number, decimals: number | undefined, steps: readonly string[]): string {
  let v = value;
  let step = 0;
  while (Math.abs(v) >= 1000 && step < steps.length - 1) {
    v /= 1000;
    step++;
  }
  // A scaled value keeps at least two decimals of precision, as Grafana does for K/M.
  const d = step > 0 ? Math.max(decimals ?? 0, 2) : decimals;
  return `${fixed(v, d)}${steps[step]}`;
}

export function formatValue(value: number | null | undefined, unit: string | undefined, decimals: number | undefined, noValue = 'No data'): string {
  if (value === null || value === undefined || Number.isNaN(value)) return noValue;
  const u = unit ?? 'short';
  if (u.startsWith('suffix:')) return `${fixed(value, decimals)}${u.slice('suffix:'.length)}`;
  if (u.startsWith('prefix:')) return `${u.slice('prefix:'.length)}${fixed(value, decimals)}`;
  if (u.startsWith('currency:')) return `${u.slice('currency:'.length)}${scaled(value, decimals, ['', 'K', 'M', 'B', 'T'])}`;
  switch (u) {
    case 'celsius':
      return `${fixed(value, decimals)} °C`;
    case 'percent':
      return `${fixed(value, decimals)}%`;
    case 'percentunit':
      return `${fixed(value * 100, decimals)}%`;
    case 'none':
      return fixed(value, decimals);
    default:
      return scaled(value, decimals, ['', ' K', ' Mil', ' Bil', ' Tri']);
  }
}
