/** Body of every error answer on the public and internal REST APIs. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  /** The offending field, as a JSON path (`precio`, `[3].categoria`), when one is to blame. */
  readonly field?: string;
  readonly id?: string;
  readonly details?: ReadonlyArray<{ readonly field: string; readonly message: string }>;
}

/**
 * A fault that may go away on retry (broker or Valkey unreachable, a deadline passed). Callers
 * translate it into 503 with Retry-After or gRPC UNAVAILABLE.
 */
export class RetriableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'RetriableError';
  }
}
