import { logLevel } from 'kafkajs';
import type { Logger } from 'pino';

/** How often a run of connection errors is summarised while Kafka stays unreachable. */
export const CONNECTION_SUMMARY_MS = 30_000;

/** What kafkajs hands a log creator's function. */
export interface KafkajsLogEntry {
  readonly namespace?: string;
  readonly level: logLevel;
  readonly log: { readonly message: string; readonly [key: string]: unknown };
}

/**
 * kafkajs's warning for an idempotent producer whose retries are bounded. Bounded retries break
 * exactly-once only when a producer keeps sending after giving up on a request: the next records
 * of the partition reuse that request's sequence numbers. `KafkaPublisher` never does that: after
 * any failed request it replaces the producer (a new producer id, sequences from zero) before it
 * sends anything else (docs/reliability.md, "Acknowledged events lost after a Kafka outage").
 */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/** A connection that could not be made: `[Connection] Connection error/timeout`, `[BrokerPool] Failed to connect to seed broker`. */
function isConnectionFailure(entry: KafkajsLogEntry): boolean {
  const { namespace, log } = entry;
  if (namespace === 'Connection') return /^Connection (error|timeout)/.test(log.message);
  if (namespace === 'BrokerPool') return log.message.startsWith('Failed to connect to seed broker');
  return false;
}

function pinoLevel(level: logLevel): 'error' | 'warn' | 'info' | 'debug' {
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  return level === logLevel.INFO ? 'info' : 'debug';
}

/**
 * kafkajs's log lines as pino JSON, with two kinds made readable:
 * - while Kafka cannot be reached (a pod started before Kafka's Service has endpoints, a broker
 *   restarting), kafkajs logs every failed connection of every retry with its stack, dozens of
 *   lines a second; here the first one of an outage is one warning, the next ones are counted and
 *   summarised in one line every 30 s while they go on (each still at debug level);
 * - the bounded-retries warning of the idempotent producer, logged for every producer created
 *   (one more after each replacement), becomes one line per process saying why it does not apply.
 */
export class KafkajsLog {
  private outageStartedAt = 0;
  private lastFailureAt = 0;
  private lastSummaryAt = 0;
  private failuresSinceSummary = 0;
  private explainedBoundedRetries = false;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  write(entry: KafkajsLogEntry): void {
    const { message, timestamp: _t, logger: _l, stack, ...rest } = entry.log;
    if (message === BOUNDED_RETRIES_WARNING) return this.boundedRetries();
    if (isConnectionFailure(entry)) return this.connectionFailure(message, rest);
    const fields = entry.level <= logLevel.ERROR && stack !== undefined ? { ...rest, stack } : rest;
    this.logger[pinoLevel(entry.level)]({ kafka: fields, namespace: entry.namespace }, message);
  }

  private boundedRetries(): void {
    if (this.explainedBoundedRetries) return;
    this.explainedBoundedRetries = true;
    this.logger.info(
      'kafkajs warns that an idempotent producer with bounded retries may break exactly-once; it does not here: ' +
        'after any failed produce request the producer is replaced (new producer id) before anything else is sent, ' +
        'so no sequence number is reused (docs/reliability.md)',
    );
  }

  private connectionFailure(message: string, fields: Record<string, unknown>): void {
    const at = this.now();
    const detail = { broker: fields.broker, reason: message };
    if (this.outageStartedAt === 0 || at - this.lastFailureAt > CONNECTION_SUMMARY_MS) {
      this.outageStartedAt = at;
      this.lastSummaryAt = at;
      this.failuresSinceSummary = 0;
      this.logger.warn({ kafka: detail }, `Kafka not reachable yet (${message}); retrying, repeats summarised every 30 s`);
    } else if (at - this.lastSummaryAt >= CONNECTION_SUMMARY_MS) {
      const failures = this.failuresSinceSummary + 1;
      const seconds = Math.round((at - this.outageStartedAt) / 1000);
      this.lastSummaryAt = at;
      this.failuresSinceSummary = 0;
      this.logger.warn({ kafka: { ...detail, failures, seconds } }, `Kafka still not reachable after ${seconds} s: ${failures} failed connections since the last line (last: ${message})`);
    } else {
      this.failuresSinceSummary += 1;
      this.logger.debug({ kafka: detail }, message);
    }
    this.lastFailureAt = at;
  }
}
