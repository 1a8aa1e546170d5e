import type { StoredRedisQuery } from '@oleada/dashboards';
import type Valkey from 'iovalkey';
import type { Field, Frame } from './frames';

/**
 * What RedisGrafana's redis-datasource plugin does with a `command` query, reproduced for the
 * preview and the tests: the same Valkey command with the same arguments, and the same frames
 * (pkg/redis-hash.go, redis-zset.go, query.go, data-frame.go in grafana-redis-datasource).
 */

/** Go's strconv.ParseFloat(s, 64) succeeds (decimal, exponent, inf/nan); the plugin then makes a number field. */
function parseFloatLikeGo(value: string): number | undefined {
  if (!/^[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i.test(value)) return undefined;
  const lower = value.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  return Number(value);
}

/** One field of one row, typed the way the plugin types it. */
function valueField(name: string, raw: string): Field {
  const number = parseFloatLikeGo(raw);
  return number === undefined ? { name, type: 'string', values: [raw], config: {} } : { name, type: 'number', values: [number], config: {} };
}

/** A flat `[name, value, name, value, …]` reply as one row with a field per name. */
function pairsFrame(frameName: string, flat: readonly string[]): Frame {
  const fields: Field[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.push(valueField(flat[i], flat[i + 1]));
  return { name: frameName, fields };
}

/** The Valkey command (name and arguments) the plugin sends for a query. */
export function commandOf(query: StoredRedisQuery): string[] {
  switch (query.command) {
    case 'get':
      return ['GET', query.keyName];
    case 'hgetall':
      return ['HGETALL', query.keyName];
    case 'zrange': {
      const range = [query.keyName, query.min ?? '', query.max ?? ''];
      return ['ZRANGE', ...range, ...(query.zrangeQuery ? [query.zrangeQuery] : []), 'WITHSCORES'];
    }
  }
}

/** Runs a query the way the plugin does and returns its frames (with the query's refId, as Grafana sets it). */
export async function runRedisQuery(client: Valkey, query: StoredRedisQuery): Promise<Frame[]> {
  const [command, ...args] = commandOf(query);
  const reply = await client.call(command, ...args);
  switch (query.command) {
    case 'get': {
      // radix decodes a nil bulk string into "" for a string receiver.
      const value = reply === null ? '' : String(reply);
      return [{ name: query.keyName, refId: query.refId, fields: [valueField('Value', value)] }];
    }
    case 'hgetall':
    case 'zrange':
      return [{ ...pairsFrame(query.command, (reply as unknown[]).map(String)), refId: query.refId }];
  }
}
