import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorShapeException } from '@oleada/shared';
import { RELAY_OPTIONS, SCENARIO_NAME } from './relay.constants';
import { RelayMetrics } from './relay.metrics';

/** Events in flight to the writers, against MAX_IN_FLIGHT: past it, requests get a fast 503. */
@Injectable()
export class RelayCapacity {
  private inFlight = 0;

  constructor(@Inject(RELAY_OPTIONS) private readonly options: { readonly maxInFlight: number }) {}

  /** Whether one more event may go (the single-event route). */
  get full(): boolean {
    return this.inFlight >= this.options.maxInFlight;
  }

  /** Whether `events` more may go: a batch is refused only if it would pass the bound while others are in flight. */
  admits(events: number): boolean {
    return this.inFlight === 0 || this.inFlight + events <= this.options.maxInFlight;
  }

  /** Counts `events` in flight while `work` runs. */
  async hold<T>(events: number, work: () => Promise<T>): Promise<T> {
    this.inFlight += events;
    try {
      return await work();
    } finally {
      this.inFlight -= events;
    }
  }

  overloaded(): ErrorShapeException {
    return new ErrorShapeException(503, { error: 'overloaded', message: 'relay is at capacity' }, 1);
  }
}

/** The single-event route: a fast 503 at capacity, before the event is even checked. */
@Injectable()
export class RelayCapacityGuard implements CanActivate {
  constructor(
    private readonly capacity: RelayCapacity,
    private readonly metrics: RelayMetrics,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.capacity.full) return true;
    this.metrics.requests.inc({ scenario: this.reflector.get<string>(SCENARIO_NAME, context.getClass()), status: 503 });
    throw this.capacity.overloaded();
  }
}
