/** One record to make durable. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Makes records durable in a broker. `publish` resolves only once the broker acknowledged the
 * record (Kafka acks=all, or a RabbitMQ publisher confirm); it rejects with a RetriableError when
 * the broker is unreachable.
 */
export interface EventPublisher {
  connect(): Promise<void>;
  publish(record: OutgoingRecord): Promise<void>;
  /** Sends what is buffered and waits for every outstanding acknowledgement. */
  flush(): Promise<void>;
  disconnect(): Promise<void>;
  readonly connected: boolean;
  /** `messaging.system` of the broker (kafka, rabbitmq), for trace spans. */
  readonly system?: string;
}

/** A record read from a broker, before decoding. */
export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * Handles a batch of records. It must have made every record's effect durable (or dead-lettered
 * it) before it resolves; only then are the records committed or acked.
 */
export type BatchHandler = (records: readonly IncomingRecord[]) => Promise<void>;

export interface EventSubscriber {
  start(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
  readonly connected: boolean;
  /** `messaging.system` of the broker (kafka, rabbitmq), for trace spans. */
  readonly system?: string;
}
