/** A column of a data frame, as Grafana models query results. */
export interface Field {
  readonly name: string;
  readonly type: 'number' | 'string' | 'time';
  readonly values: ReadonlyArray<number | string | null>;
  readonly config: { readonly displayName?: string };
}

/** Columns of equal length; what a data source returns and transformations pass along. */
export interface Frame {
  readonly name?: string;
  readonly refId?: string;
  readonly fields: readonly Field[];
}

/** The name Grafana shows and matches on: an explicit display name, else the field's name. */
export function displayName(field: Field): string {
  return field.config.displayName ?? field.name;
}

export function frameLength(frame: Frame): number {
  return frame.fields[0]?.values.length ?? 0;
}

/** A frame as plain rows keyed by display name (for tests and tables). */
export function rowsOf(frame: Frame): Array<Record<string, number | string | null>> {
  return Array.from({ length: frameLength(frame) }, (_, i) => Object.fromEntries(frame.fields.map((f) => [displayName(f), f.values[i]])));
}
