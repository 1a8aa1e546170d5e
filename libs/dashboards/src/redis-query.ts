import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DatasourceRef } from './datasources';

/**
 * The redis-datasource commands Oleada's panels use (the plugin's `command` query type). Each is
 * a read the plugin runs as written here; see `tools/dashboard` for the frames each one returns.
 * - `get`:     GET key → one field `Value`.
 * - `hgetall`: HGETALL key → one row, one field per hash field (numbers parsed).
 * - `zrange`:  ZRANGE key min max [zrangeQuery] WITHSCORES → one row, one field per member.
 */
export type RedisCommand = 'get' | 'hgetall' | 'zrange';
export const REDIS_COMMANDS: readonly RedisCommand[] = ['get', 'hgetall', 'zrange'];

/** A redis-datasource query as stored in a dashboard (the plugin's query model). */
export interface RedisQuery extends cog.Dataquery {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  /** The plugin's query type: `command` runs one of its commands with the fields below. */
  readonly type: 'command';
  readonly command: RedisCommand;
  readonly keyName: string;
  /** `zrange`: first and last index (or score/lex bound). */
  readonly min?: string;
  readonly max?: string;
  /**
   * `zrange`: inserted verbatim between `max` and `WITHSCORES`. The plugin's editor offers
   * BYSCORE/BYLEX; `REV` (Valkey ≥ 6.2 syntax) makes it `ZREVRANGE … WITHSCORES`.
   */
  readonly zrangeQuery?: string;
}

/** Builds a redis-datasource query for the SDK's panel builders (`withTarget`). */
export class RedisQueryBuilder implements cog.Builder<RedisQuery> {
  private readonly query: { -readonly [K in keyof RedisQuery]?: RedisQuery[K] } = { type: 'command' };

  constructor(datasource: DatasourceRef, refId = 'A') {
    this.query.refId = refId;
    this.query.datasource = datasource;
  }

  get(key: string): this {
    return this.command('get', key);
  }

  hgetall(key: string): this {
    return this.command('hgetall', key);
  }

  /** ZRANGE key first last [REV] WITHSCORES: `rev` ranks highest first, like ZREVRANGE. */
  zrange(key: string, first: number, last: number, options: { readonly rev?: boolean } = {}): this {
    this.command('zrange', key);
    this.query.min = String(first);
    this.query.max = String(last);
    if (options.rev) this.query.zrangeQuery = 'REV';
    return this;
  }

  private command(command: RedisCommand, key: string): this {
    this.query.command = command;
    this.query.keyName = key;
    return this;
  }

  build(): RedisQuery {
    const { refId, datasource, command, keyName } = this.query;
    if (!refId || !datasource || !command || !keyName) throw new Error('a redis-datasource query needs a command and a key');
    // The SDK marks query variants with this method; JSON serialization drops it.
    return { ...this.query, refId, datasource, type: 'command', command, keyName, _implementsDataqueryVariant: () => undefined };
  }
}
