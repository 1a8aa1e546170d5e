import type { EventPublisher, IncomingRecord, OutgoingRecord } from '@oleada/broker';
import { InvalidRecordError, scenarioForTopic, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER, EVENT_ID_HEADER, METRIC_NAMES, RetriableError, UUID_PATTERN, type Logger, type Metrics } from '@oleada/shared';
import { applyBatch, loadAggregationFunction, operationsFor, ScenarioKeys, type PreparedEvent } from '@oleada/valkey-schema';
import { ATTR, DB_SYSTEM_VALKEY, inSpan, SpanKind } from '@oleada/telemetry';
import type Valkey from 'iovalkey';

/** Freshness buckets, seconds: a few milliseconds on a quiet pipeline up to a minute behind. */
const FRESHNESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Metric under which each scenario counts its dead-lettered records in Valkey. */
export const DEAD_LETTER_METRIC = 'dead_letters';

export interface AggregatorOptions {
  readonly scenarios: readonly AnyScenario[];
  readonly valkey: Valkey;
  /** Where undecodable or invalid records go. */
  readonly deadLetters: EventPublisher;
  readonly seenTtlSeconds: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Separates the aggregates of one broker path from another's (`kafka`, `rabbitmq`). */
  readonly variant?: string;
}

/**
 * Turns a batch of broker records into one atomic, idempotent Valkey call. Records that cannot be
 * decoded or fail validation go to their scenario's dead-letter topic with the reason; they are
 * counted once (by their broker position) and never block the partition.
 */
export class Aggregator {
  private readonly keys = new Map<string, ScenarioKeys>();
  private readonly outcomes;
  private readonly applyLatency;
  private readonly freshness;

  constructor(private readonly options: AggregatorOptions) {
    for (const scenario of options.scenarios) {
      this.keys.set(scenario.name, new ScenarioKeys(scenario.name, { variant: options.variant }));
    }
    this.outcomes = options.metrics.counter(METRIC_NAMES.consumerEvents, 'Records handled by the consumer', ['scenario', 'outcome']);
    // Dead letters start at 0: an alert's increase() sees the first one (a series born at 1 shows no increase).
    for (const scenario of options.scenarios) this.outcomes.inc({ scenario: scenario.name, outcome: 'dead_letter' }, 0);
    this.applyLatency = options.metrics.histogram(METRIC_NAMES.valkeyApplyDuration, 'One batch applied to Valkey', []);
    this.freshness = options.metrics.histogram(METRIC_NAMES.consumerFreshness, 'From the gateway accepting an event to Valkey applying it', ['scenario'], FRESHNESS_BUCKETS);
  }

  keysFor(scenario: string): ScenarioKeys {
    const keys = this.keys.get(scenario);
    if (!keys) throw new Error(`scenario ${scenario} is not served by this consumer`);
    return keys;
  }

  /** Loads the aggregation function; call once connected (and after a server lost it). */
  prepare(): Promise<void> {
    return loadAggregationFunction(this.options.valkey);
  }

  readonly handle = async (records: readonly IncomingRecord[]): Promise<void> => {
    const prepared: PreparedEvent[] = [];
    const dead: OutgoingRecord[] = [];
    const perScenario = new Map<string, number>();
    const accepted: Array<{ readonly scenario: string; readonly at: number }> = [];
    for (const record of records) {
      const scenario = scenarioForTopic(this.options.scenarios, record.topic);
      if (!scenario) throw new Error(`no scenario reads topic ${record.topic}`);
      const keys = this.keysFor(scenario.name);
      const source = `${record.topic}/${record.partition}/${record.offset}`;
      try {
        const eventId = record.headers[EVENT_ID_HEADER];
        if (!eventId || !UUID_PATTERN.test(eventId)) throw new InvalidRecordError(`header ${EVENT_ID_HEADER} is missing or not a UUID`);
        if (!record.value) throw new InvalidRecordError('record has no value');
        const stamped = Number(record.headers[ACCEPTED_AT_HEADER]);
        const acceptedAt = stamped || Date.now();
        const rec = scenario.decode(record.value, { eventId, acceptedAt, topic: record.topic });
        prepared.push({ seenKey: keys.seen(eventId), operations: operationsFor(scenario.aggregates, keys, rec, acceptedAt) });
        perScenario.set(scenario.name, (perScenario.get(scenario.name) ?? 0) + 1);
        if (stamped) accepted.push({ scenario: scenario.name, at: stamped });
      } catch (error) {
        if (!(error instanceof InvalidRecordError) && !(error instanceof RangeError)) throw error;
        this.options.logger.warn({ source, reason: error.message, eventId: record.headers[EVENT_ID_HEADER] }, 'record dead-lettered');
        dead.push({
          topic: scenario.deadLetterTopic,
          key: record.key ?? source,
          value: record.value ?? Buffer.alloc(0),
          headers: {
            ...Object.fromEntries(Object.entries(record.headers).filter((entry): entry is [string, string] => entry[1] !== undefined)),
            [DEAD_LETTER_REASON_HEADER]: error.message,
            [DEAD_LETTER_SOURCE_HEADER]: source,
          },
        });
        // Counted once per broker position, however often the record is redelivered.
        prepared.push({ seenKey: keys.seen(`dlq:${source}`), operations: [{ code: 'I', key: keys.metric(DEAD_LETTER_METRIC), field: '', value: 1 }] });
        this.outcomes.inc({ scenario: scenario.name, outcome: 'dead_letter' });
      }
    }
    if (dead.length > 0) await Promise.all(dead.map((record) => this.options.deadLetters.publish(record)));
    const stop = this.applyLatency.startTimer();
    const result = await inSpan('FCALL', SpanKind.CLIENT, { [ATTR.dbSystem]: DB_SYSTEM_VALKEY, [ATTR.dbOperation]: 'FCALL', [ATTR.dbBatchSize]: prepared.length }, () => this.applyWithReload(prepared));
    stop();
    // Freshness: every event of the batch is applied now (or was already, when redelivered).
    const now = Date.now();
    for (const event of accepted) this.freshness.observe({ scenario: event.scenario }, Math.max(0, now - event.at) / 1000);
    for (const [scenario, count] of perScenario) this.outcomes.inc({ scenario, outcome: 'decoded' }, count);
    this.outcomes.inc({ scenario: 'all', outcome: 'applied' }, result.applied);
    this.outcomes.inc({ scenario: 'all', outcome: 'duplicate' }, result.duplicates);
  };

  private async applyWithReload(prepared: readonly PreparedEvent[]) {
    try {
      try {
        return await applyBatch(this.options.valkey, prepared, this.options.seenTtlSeconds);
      } catch (error) {
        // A server restarted without persistence has lost the function: load it and try once more.
        if (!/function not found/i.test((error as Error).message)) throw error;
        await this.prepare();
        return await applyBatch(this.options.valkey, prepared, this.options.seenTtlSeconds);
      }
    } catch (error) {
      // Valkey out of reach or refusing: the batch stays uncommitted and is delivered again.
      throw new RetriableError(`Valkey did not apply the batch: ${(error as Error).message}`, error);
    }
  }
}
