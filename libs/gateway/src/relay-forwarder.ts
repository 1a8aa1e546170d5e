import { relayBatchRoute, type AnyScenario } from '@oleada/scenarios';
import { MicroBatcher, type Logger } from '@oleada/shared';
import { Pool } from 'undici';

export interface ForwardResult {
  /** The event's status from the relay, or 503 when the relay could not be reached in time. */
  readonly status: number;
  readonly body: unknown;
  /** Why the relay could not be reached (an error name, for logs only; never sent to a client). */
  readonly cause?: string;
}

export interface RelayForwarderOptions {
  /** Keep-alive connections to the relay. */
  readonly connections: number;
  /** Deadline of one request to the relay, from when it is sent. */
  readonly timeoutMs: number;
  /** Most events in one request to the relay. */
  readonly batchMax: number;
  /** Requests to the relay in flight at once per scenario; events wait for a free one. */
  readonly batchConcurrency: number;
  /** Where a batch the relay did not answer for is reported (one line per request, with its cause). */
  readonly logger?: Logger;
}

interface Waiting {
  readonly id: string;
  readonly acceptedAt: number;
  readonly event: unknown;
  /** The event's trace context (its request's span), when tracing is on. */
  readonly traceparent?: string;
}

interface RelayBatchAnswer {
  readonly results?: ReadonlyArray<{ readonly id: string; readonly status: number; readonly error?: string; readonly message?: string; readonly field?: string }>;
}

const UNREACHABLE = { error: 'unavailable', message: 'relay unreachable' };

/**
 * Hands accepted events to the relay over a keep-alive pool, many per request. An event goes out
 * at once when its scenario has a request slot free (events that arrived in the same turn of the
 * event loop travel together); while every slot is busy, events queue and the next request takes
 * all of them (up to `batchMax`). So a lone event is not held back by a timer, and under load one
 * request, one relay call and one writer call carry hundreds of events. Every event still gets its
 * own answer: 202 only when the relay reported that very event durable.
 */
/** The connection failed or was closed before the relay answered. */
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE';
}

export class RelayForwarder {
  private readonly pool: Pool;
  /** Per scenario: its events waiting for the relay, and its requests in flight. */
  private readonly lanes = new Map<string, MicroBatcher<Waiting, ForwardResult>>();
  private readonly timeoutMs: number;
  private readonly batchMax: number;
  private readonly batchConcurrency: number;
  /** One try per pooled connection plus one: each may still lead to a pod that is shutting down. */
  private readonly maxAttempts: number;
  private readonly logger?: Logger;
  private closing?: Promise<void>;

  constructor(relayUrl: string, options: RelayForwarderOptions) {
    this.timeoutMs = options.timeoutMs;
    this.batchMax = options.batchMax;
    this.batchConcurrency = options.batchConcurrency;
    this.maxAttempts = options.connections + 1;
    this.logger = options.logger;
    this.pool = new Pool(relayUrl, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 2000),
    });
  }

  /** Sends one event with the batch of its scenario; `traceparent` is the context it hands on (a sampled request's). */
  forward(scenario: AnyScenario, event: unknown, id: string, acceptedAt: number, traceparent?: string): Promise<ForwardResult> {
    let lane = this.lanes.get(scenario.name);
    if (!lane) {
      lane = new MicroBatcher((batch) => this.send(scenario, batch), { lingerMs: 0, maxItems: this.batchMax, maxInFlight: this.batchConcurrency });
      this.lanes.set(scenario.name, lane);
    }
    return lane.add({ id, acceptedAt, event, traceparent });
  }

  /**
   * One request to the relay for the batch; one result per event, in order (never rejects). A
   * request that lost its connection before any answer, or that a closing relay refused (503 with
   * `Connection: close`: a pod shutting down during a rollout), is sent again, within the timeout,
   * up to once per pooled connection plus one: the pool's other kept-alive connections may lead to
   * the same closing pod (an image upgrade on the cluster seemingly met two refusals in a row), while a new connection
   * goes through kube-proxy to a pod still serving. Sending a batch twice is safe: the consumer
   * applies each event id once.
   */
  private async send(scenario: AnyScenario, batch: readonly Waiting[]): Promise<ForwardResult[]> {
    let answer: RelayBatchAnswer | undefined;
    let status = 0;
    const deadline = AbortSignal.timeout(this.timeoutMs);
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.pool.request({
          path: relayBatchRoute(scenario),
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events: batch }),
          signal: deadline,
        });
        status = response.statusCode;
        const text = await response.body.text();
        if (status === 503 && response.headers.connection === 'close' && attempt < this.maxAttempts) {
          this.logger?.debug({ scenario: scenario.name, events: batch.length }, 'relay closing; batch sent again on a new connection');
          continue;
        }
        answer = status === 200 ? (JSON.parse(text) as RelayBatchAnswer) : undefined;
        break;
      } catch (error) {
        if (attempt < this.maxAttempts && !deadline.aborted && connectionLost(error)) {
          this.logger?.debug({ scenario: scenario.name, events: batch.length, code: (error as { code?: string }).code }, 'relay connection lost; batch sent again');
          continue;
        }
        // Error names and messages may carry internal addresses: keep them out of the body.
        const unreachable: ForwardResult = { status: 503, body: UNREACHABLE, cause: (error as Error).name };
        this.logger?.warn({ scenario: scenario.name, events: batch.length, cause: unreachable.cause, err: error }, 'relay unreachable; events answered 503');
        return batch.map(() => unreachable);
      }
    }
    if (status !== 200) this.logger?.warn({ scenario: scenario.name, events: batch.length, status }, 'relay refused the batch; events answered 503');
    return batch.map((waiting, i): ForwardResult => {
      const result = answer?.results?.[i];
      if (!result || result.id !== waiting.id) {
        // The relay refused the whole request (overloaded, or an answer we cannot match): retry later.
        return { status: 503, body: { error: 'unavailable', message: 'relay refused the batch' }, cause: `relay answered ${status}` };
      }
      const { error, message, field } = result;
      return { status: result.status, body: result.status === 202 ? {} : { error, message, ...(field === undefined ? {} : { field }) } };
    });
  }

  /** Closes the pool once; later calls wait for the same close. */
  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }
}
