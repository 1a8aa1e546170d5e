import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { fixKafkajsIdleTimer } from './request-queue-timer';

fixKafkajsIdleTimer();

export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** SCRAM credentials; plaintext without them (local mode only). */
  readonly sasl?: { readonly mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; readonly username: string; readonly password: string };
  readonly ssl?: boolean;
}

/** kafkajs levels → pino, so broker logs are JSON like everything else. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: logLevel; log: { message: string; [key: string]: unknown } }) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      const target = level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : level === logLevel.INFO ? 'info' : 'debug';
      logger[target]({ kafka: rest }, message);
    };
}

export function createKafka(options: KafkaConnectionOptions, logger: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    ssl: options.ssl,
    sasl: options.sasl as SASLOptions | undefined,
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2000 },
  };
  return new Kafka(config);
}
