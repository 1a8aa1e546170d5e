import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { KafkajsLog } from './kafka-log';
import { useOwnCrc32c } from './crc32c';
import { fixKafkajsIdleTimer } from './request-queue-timer';

fixKafkajsIdleTimer();
useOwnCrc32c();

export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** SCRAM credentials; plaintext without them (local mode only). */
  readonly sasl?: { readonly mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; readonly username: string; readonly password: string };
  readonly ssl?: boolean;
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
    // kafkajs levels → pino JSON, its connection-error bursts condensed (kafka-log.ts).
    logCreator: () => {
      const log = new KafkajsLog(logger.child({ component: 'kafkajs' }));
      return (entry) => log.write(entry);
    },
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2000 },
  };
  return new Kafka(config);
}
