import type Valkey from 'iovalkey';
import type { Operation } from './aggregates';
import { FUNCTION_LIBRARY, FUNCTION_NAME, FUNCTION_SOURCE, FUNCTION_VERSION } from './function';

/** One event ready to be applied: its dedup key and operations. */
export interface PreparedEvent {
  readonly seenKey: string;
  readonly operations: readonly Operation[];
}

export interface ApplyResult {
  /** Events applied for the first time. */
  readonly applied: number;
  /** Events whose id had been applied before (redeliveries, replays) and changed nothing. */
  readonly duplicates: number;
}

/** Loads (or replaces) the aggregation function on a server. Safe to call on every start. */
export async function loadAggregationFunction(client: Valkey): Promise<void> {
  const libraries = (await client.call('FUNCTION', 'LIST', 'LIBRARYNAME', FUNCTION_LIBRARY, 'WITHCODE')) as unknown[];
  const loaded = JSON.stringify(libraries ?? []).includes(`-- version ${FUNCTION_VERSION}\\n`);
  if (!loaded) await client.call('FUNCTION', 'LOAD', 'REPLACE', FUNCTION_SOURCE);
}

/** Encodes a batch into FCALL keys and arguments. Keys are deduplicated and passed by index. */
export function encodeBatch(events: readonly PreparedEvent[], seenTtlSeconds: number): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const keyIndex = (key: string): number => {
    let i = index.get(key);
    if (i === undefined) {
      keys.push(key);
      i = keys.length; // Lua arrays start at 1
      index.set(key, i);
    }
    return i;
  };
  const batch: Array<Array<string | number>> = [];
  for (const event of events) {
    const row: Array<string | number> = [keyIndex(event.seenKey)];
    for (const op of event.operations) row.push(op.code, keyIndex(op.key), op.field, op.value);
    batch.push(row);
  }
  return { keys, args: [String(seenTtlSeconds), JSON.stringify(batch)] };
}

/** Applies a batch atomically and idempotently in a single round trip. */
export async function applyBatch(client: Valkey, events: readonly PreparedEvent[], seenTtlSeconds: number): Promise<ApplyResult> {
  if (events.length === 0) return { applied: 0, duplicates: 0 };
  const { keys, args } = encodeBatch(events, seenTtlSeconds);
  const reply = (await client.call('FCALL', FUNCTION_NAME, String(keys.length), ...keys, ...args)) as [number, number];
  return { applied: Number(reply[0]), duplicates: Number(reply[1]) };
}
