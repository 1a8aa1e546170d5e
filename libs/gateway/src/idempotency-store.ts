import { createHash } from 'node:crypto';
import type { AnyScenario } from '@oleada/scenarios';
import { claimIdempotencyKey, ScenarioKeys, type IdempotencyClaim } from '@oleada/valkey-schema';
import type Valkey from 'iovalkey';

/**
 * The fingerprint of a request under an Idempotency-Key: SHA-256 of its validated events in their
 * wire encoding (protobuf), so what the event means decides it, not how the JSON spelled it (key
 * order, `categoria` by name or number, `1.50` or `1.5`). `kind` keeps a single event and a batch
 * of that one event apart: they are different requests.
 */
export function requestFingerprint(scenario: AnyScenario, kind: 'single' | 'batch', events: readonly unknown[]): string {
  const hash = createHash('sha256').update(`${scenario.name}:${kind}:${events.length}`);
  for (const event of events) {
    const bytes = scenario.encode(scenario.toMessage(event));
    hash.update(`:${bytes.length}:`).update(bytes);
  }
  return hash.digest('base64url');
}

/** Longest a claim may wait for Valkey before the request goes on unchecked. */
export const IDEMPOTENCY_CLAIM_TIMEOUT_MS = 500;

/**
 * Where the gateway binds each Idempotency-Key to the fingerprint of the first request that used it
 * (IETF draft-ietf-httpapi-idempotency-key-header: the same key with the same body gets the first
 * answer again; with another body, 422).
 *
 * Why Valkey, at the gateway: the answer must come before the 202, so the check cannot wait for the
 * consumer (the event ids, derived from the key, already make the consumer drop the second body —
 * silently, after a 202). It must hold across the 1-3 gateway replicas and their restarts, so not
 * in process memory; and the gateway is the one hop that sees the key and the whole request (a
 * batch is one request: the writers see only its events, one by one, so a batch resent with one
 * event more would pass a per-event check there). Valkey is already the pipeline's durable,
 * replicated store; the gateway gets a user that may only SET/GET these records.
 */
export class IdempotencyStore {
  private readonly keys = new Map<string, ScenarioKeys>();

  constructor(
    private readonly valkey: Valkey,
    /** How long a key stays bound: the consumers' dedup TTL, so the two never disagree. */
    private readonly ttlSeconds: number,
  ) {
    // While Valkey is away each claim fails on its own (the request goes on unchecked); the client reconnects by itself.
    valkey.on('error', () => undefined);
  }

  /** Claims the key a request's `requestId` derives from for `fingerprint`; rejects when Valkey cannot answer in time. */
  claim(scenario: string, requestId: string, fingerprint: string): Promise<IdempotencyClaim> {
    let keys = this.keys.get(scenario);
    if (!keys) this.keys.set(scenario, (keys = new ScenarioKeys(scenario)));
    return claimIdempotencyKey(this.valkey, keys.idempotency(requestId), fingerprint, this.ttlSeconds);
  }

  get ready(): boolean {
    return this.valkey.status === 'ready';
  }

  close(): void {
    this.valkey.disconnect();
  }
}
