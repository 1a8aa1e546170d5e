import { blackfridayScenario } from '@oleada/scenarios';
import { DEAD_LETTER_REASON_HEADER, EVENT_ID_HEADER, uuidv7 } from '@oleada/shared';
import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';

/** A record written straight into a topic, and the dead-letter reason it must get. */
export interface PoisonRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: RegExp;
}

/**
 * Records no writer would ever produce for a Black Friday topic: bytes that are not a protobuf
 * message, a category outside the enum, and a valid message without its event id. Keys carry
 * `tag`, so a reader can pick exactly these out of a shared dead-letter topic.
 */
export function blackfridayPoisonRecords(tag: string): PoisonRecord[] {
  const encode = (categoria: number) => Buffer.from(blackfridayScenario.encode({ categoria, productoId: 'X', precio: 1, cantidadVendida: 1 }));
  return [
    { key: `${tag}-undecodable`, value: Buffer.from([0xff, 0xff, 0xff, 0xff]), headers: { [EVENT_ID_HEADER]: uuidv7() }, reason: /undecodable/ },
    { key: `${tag}-category`, value: encode(9), headers: { [EVENT_ID_HEADER]: uuidv7() }, reason: /categoria 9/ },
    { key: `${tag}-no-id`, value: encode(1), headers: {}, reason: new RegExp(EVENT_ID_HEADER) },
  ];
}

/** Writes records straight into a topic with a plain producer (bypassing every writer check). */
export async function publishRecords(kafka: Kafka, topic: string, records: readonly Pick<PoisonRecord, 'key' | 'value' | 'headers'>[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning with a throw-away consumer group until `enough(records)` holds
 * for the records kept by `keep`; rejects after `timeoutMs` naming how many it had.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  options: { keep?: (message: KafkaMessage) => boolean; enough: (kept: readonly KafkaMessage[]) => boolean; timeoutMs?: number },
): Promise<KafkaMessage[]> {
  const kept: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${kept.length} matching records of ${topic} in ${options.timeoutMs ?? 30_000} ms`)), options.timeoutMs ?? 30_000);
      if (options.enough(kept)) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (options.keep && !options.keep(message)) return;
            kept.push(message);
            if (options.enough(kept)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return kept;
}

/** The dead-letter reason a record carries. */
export function deadLetterReason(message: KafkaMessage): string {
  return String(message.headers?.[DEAD_LETTER_REASON_HEADER] ?? '');
}
