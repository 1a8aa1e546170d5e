import type { EventPublisher, IncomingRecord, OutgoingRecord } from '@oleada/broker';
import { Aggregator } from '@oleada/consumer';
import { ROWS, TIME_FIELD, type PanelModel, type StoredRedisQuery } from '@oleada/dashboards';
import { seededRandom, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, createLogger, EVENT_ID_HEADER, Metrics, uuidv7 } from '@oleada/shared';
import { epochMinute, ScenarioKeys, type Aggregate } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';

/** A batch of sample events applied to Valkey by the consumer's own Aggregator, under a key variant of its own. */
export interface AppliedRun {
  readonly variant: string;
  readonly keysFor: (scenario: AnyScenario) => ScenarioKeys;
  /** What each key must hold, computed from the decoded events without Valkey. */
  readonly expected: ReadonlyMap<string, KeyContent>;
  /** The decoded records per scenario, in order. */
  readonly records: ReadonlyMap<string, readonly unknown[]>;
  /** Removes every key the run wrote. */
  cleanUp(): Promise<void>;
}

/** The content of one aggregate key after the run. */
export type KeyContent =
  | { readonly kind: 'sums'; readonly aggregate: Aggregate<unknown>; readonly values: ReadonlyMap<string, number> }
  | { readonly kind: 'extremes'; readonly aggregate: Aggregate<unknown>; readonly values: ReadonlyMap<string, number> }
  | { readonly kind: 'means'; readonly aggregate: Aggregate<unknown>; readonly values: ReadonlyMap<string, { sum: number; count: number }> }
  | { readonly kind: 'scores'; readonly aggregate: Aggregate<unknown>; readonly values: ReadonlyMap<string, number> }
  | { readonly kind: 'counter'; readonly aggregate: Aggregate<unknown>; readonly value: number }
  | { readonly kind: 'series'; readonly aggregate: Aggregate<unknown>; readonly values: ReadonlyMap<number, number> };

const noDeadLetters: EventPublisher = {
  connected: true,
  connect: async () => undefined,
  publish: async (record: OutgoingRecord) => {
    throw new Error(`a sample event was dead-lettered: ${record.headers?.['x-dead-letter-reason'] ?? JSON.stringify(record.headers)}`);
  },
  flush: async () => undefined,
  disconnect: async () => undefined,
};

function add<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Folds decoded records through the aggregate declarations in plain JavaScript (no Valkey). */
function expectedContents(aggregates: readonly Aggregate<unknown>[], keys: ScenarioKeys, records: readonly unknown[], acceptedAt: number, out: Map<string, KeyContent>): void {
  for (const aggregate of aggregates) {
    switch (aggregate.kind) {
      case 'hash': {
        const byKey = new Map<string, Map<string, number>>();
        for (const r of records) {
          const key = keys.metric(aggregate.metric, aggregate.group?.of(r));
          if (!byKey.has(key)) byKey.set(key, new Map());
          add(byKey.get(key) as Map<string, number>, aggregate.field(r), aggregate.by(r));
        }
        const all = aggregate.group ? aggregate.group.values.map((g) => keys.metric(aggregate.metric, g)) : [keys.metric(aggregate.metric)];
        for (const key of all) out.set(key, { kind: 'sums', aggregate, values: byKey.get(key) ?? new Map() });
        break;
      }
      case 'min':
      case 'max': {
        const values = new Map<string, number>();
        for (const r of records) {
          const f = aggregate.field(r);
          const v = aggregate.value(r);
          const cur = values.get(f);
          if (cur === undefined || (aggregate.kind === 'min' ? v < cur : v > cur)) values.set(f, v);
        }
        out.set(keys.metric(aggregate.metric), { kind: 'extremes', aggregate, values });
        break;
      }
      case 'mean': {
        const values = new Map<string, { sum: number; count: number }>();
        for (const r of records) {
          const f = aggregate.field(r);
          const cur = values.get(f) ?? { sum: 0, count: 0 };
          values.set(f, { sum: cur.sum + aggregate.value(r), count: cur.count + 1 });
        }
        out.set(keys.metric(aggregate.metric), { kind: 'means', aggregate, values });
        break;
      }
      case 'zset': {
        const values = new Map<string, number>();
        for (const r of records) add(values, aggregate.member(r), aggregate.by(r));
        out.set(keys.metric(aggregate.metric), { kind: 'scores', aggregate, values });
        break;
      }
      case 'counter':
        out.set(keys.metric(aggregate.metric), { kind: 'counter', aggregate, value: records.reduce<number>((sum, r) => sum + aggregate.by(r), 0) });
        break;
      case 'bucket': {
        const values = new Map<number, number>();
        for (const r of records) add(values, epochMinute(acceptedAt), aggregate.by(r));
        out.set(keys.series(aggregate.metric), { kind: 'series', aggregate, values });
        break;
      }
    }
  }
}

/**
 * Sends `count` sample events per scenario through the consumer's Aggregator (decode, operations,
 * the `oleada_apply` function) into Valkey under a fresh key variant, and computes what every key
 * must then hold.
 */
export async function applySampleRun(valkey: Valkey, scenarios: readonly AnyScenario[], count: number, seed: number): Promise<AppliedRun> {
  const variant = `dash${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const keysFor = (scenario: AnyScenario) => new ScenarioKeys(scenario.name, { variant });
  const aggregator = new Aggregator({
    scenarios,
    valkey,
    deadLetters: noDeadLetters,
    seenTtlSeconds: 600,
    logger: createLogger('dashboard-test', 'error'),
    metrics: new Metrics('dashboard-test'),
    variant,
  });
  await aggregator.prepare();
  const random = seededRandom(seed);
  const acceptedAt = Date.now();
  const expected = new Map<string, KeyContent>();
  const decoded = new Map<string, unknown[]>();
  for (const scenario of scenarios) {
    const incoming: IncomingRecord[] = [];
    const records: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const message = scenario.toMessage(scenario.body.parse(scenario.sample(random)));
      const topic = scenario.route(message, random);
      const eventId = uuidv7();
      const value = Buffer.from(scenario.encode(message));
      incoming.push({ topic, partition: 0, offset: String(i), key: scenario.partitionKey(message), value, headers: { [EVENT_ID_HEADER]: eventId, [ACCEPTED_AT_HEADER]: String(acceptedAt) } });
      records.push(scenario.decode(value, { eventId, acceptedAt, topic }));
    }
    // Two batches, the second with the first's last 10 again: redeliveries must not count.
    await aggregator.handle(incoming.slice(0, Math.floor(count / 2)));
    await aggregator.handle(incoming.slice(Math.floor(count / 2) - 10));
    expectedContents(scenario.aggregates, keysFor(scenario), records, acceptedAt, expected);
    decoded.set(scenario.name, records);
  }
  return {
    variant,
    keysFor,
    expected,
    records: decoded,
    cleanUp: async () => {
      for (const scenario of scenarios) {
        const stale = await valkey.keys(keysFor(scenario).pattern());
        if (stale.length > 0) await valkey.del(...stale);
      }
    },
  };
}

/** What a panel must show for a key's content, in the shape the preview's views use. */
export type ExpectedView =
  | { readonly kind: 'bars'; readonly fields: readonly string[]; readonly byLabel: Readonly<Record<string, number>>; readonly ordered?: readonly string[] }
  | { readonly kind: 'stat'; readonly fields: readonly string[]; readonly value: number }
  | { readonly kind: 'timebars'; readonly fields: readonly string[]; readonly byTime: Readonly<Record<string, number>> };

const scaled = (value: number, scale: number | undefined) => (scale && scale !== 1 ? value / scale : value);

/** The view a panel reading `content` must produce (`topN` for rankings, `only` for a category selection). */
export function expectedView(content: KeyContent, options: { readonly topN: number; readonly only?: readonly string[] }): ExpectedView {
  const { aggregate } = content;
  const keep = (label: string) => !options.only || !('fields' in aggregate) || !options.only.length || options.only.includes(label);
  switch (content.kind) {
    case 'sums':
    case 'extremes': {
      const byLabel = Object.fromEntries([...content.values].filter(([l]) => keep(l)).map(([l, v]) => [l, scaled(v, aggregate.scale)]));
      return { kind: 'bars', fields: [ROWS.label, aggregate.title], byLabel };
    }
    case 'means': {
      const byLabel = Object.fromEntries([...content.values].filter(([l]) => keep(l)).map(([l, { sum, count }]) => [l, scaled(sum / count, aggregate.scale)]));
      return { kind: 'bars', fields: [ROWS.label, aggregate.title], byLabel };
    }
    case 'scores': {
      // ZREVRANGE order: score descending, ties by member descending.
      const ranked = [...content.values].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0)).slice(0, options.topN);
      return { kind: 'bars', fields: [ROWS.label, aggregate.title], byLabel: Object.fromEntries(ranked.map(([m, s]) => [m, scaled(s, aggregate.scale)])), ordered: ranked.map(([m]) => m) };
    }
    case 'counter':
      return { kind: 'stat', fields: [aggregate.title], value: scaled(content.value, aggregate.scale) };
    case 'series':
      return {
        kind: 'timebars',
        fields: [TIME_FIELD, aggregate.title],
        byTime: Object.fromEntries([...content.values].map(([minute, v]) => [String(minute * 60_000), scaled(v, aggregate.scale)])),
      };
  }
}

/** The keys a panel reads (its targets' keyName). */
export function panelKeys(panel: PanelModel): string[] {
  return panel.targets.map((t) => (t as StoredRedisQuery).keyName);
}
