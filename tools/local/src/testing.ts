import Valkey from 'iovalkey';

/**
 * The servers a test runs against: the ones `tools/scripts/run-tests.mjs` started (KAFKA_BROKERS,
 * VALKEY_URL). A test run without them fails with a message saying how to run it; it never skips.
 */
export function testServers(): { kafkaBrokers: string; valkeyUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const valkeyUrl = process.env.VALKEY_URL;
  if (!kafkaBrokers || !valkeyUrl) {
    throw new Error('KAFKA_BROKERS and VALKEY_URL are not set: run the tests with `npm test` (tools/scripts/run-tests.mjs starts the servers)');
  }
  return { kafkaBrokers, valkeyUrl };
}

/** A connected Valkey client for a test. */
export async function testValkey(): Promise<Valkey> {
  const client = new Valkey(testServers().valkeyUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

/** A name no other test run uses (topics, groups, namespaces). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
