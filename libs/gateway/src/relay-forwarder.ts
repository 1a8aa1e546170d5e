import { relayRoute, type AnyScenario } from '@oleada/scenarios';
import { ACCEPTED_AT_HEADER, EVENT_ID_HEADER } from '@oleada/shared';
import { Pool } from 'undici';

export interface ForwardResult {
  /** The relay's HTTP status, or 503 when it could not be reached in time. */
  readonly status: number;
  readonly body: unknown;
  /** Why the relay could not be reached (an error name, for logs only; never sent to a client). */
  readonly cause?: string;
}

/** Keep-alive connection pool to the relay; one POST per event, never a new connection per request. */
export class RelayForwarder {
  private readonly pool: Pool;

  constructor(
    relayUrl: string,
    connections: number,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(relayUrl, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 2000),
    });
  }

  async forward(scenario: AnyScenario, body: unknown, eventId: string, acceptedAt: number): Promise<ForwardResult> {
    try {
      const response = await this.pool.request({
        path: relayRoute(scenario),
        method: 'POST',
        headers: { 'content-type': 'application/json', [EVENT_ID_HEADER]: eventId, [ACCEPTED_AT_HEADER]: String(acceptedAt) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.body.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, body: parsed };
    } catch (error) {
      // Error names and messages may carry internal addresses: keep them out of the body.
      return { status: 503, body: { error: 'unavailable', message: 'relay unreachable' }, cause: (error as Error).name };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
