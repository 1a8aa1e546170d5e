import { health } from '@oleada/contracts';
import { BehaviorSubject, Observable } from 'rxjs';

const { HealthCheckResponse_ServingStatus: ServingStatus } = health;
type ServingStatus = health.HealthCheckResponse_ServingStatus;

/**
 * The statuses grpc.health.v1.Health reports: `''` for the whole server, each service by its full
 * name. Watchers get the current status at once and every change after it.
 */
export class GrpcHealth {
  private readonly statuses = new Map<string, BehaviorSubject<ServingStatus>>();

  constructor(services: readonly string[]) {
    for (const name of ['', ...services]) this.statuses.set(name, new BehaviorSubject<ServingStatus>(ServingStatus.NOT_SERVING));
  }

  setAll(serving: boolean): void {
    const value = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (const status of this.statuses.values()) if (status.value !== value) status.next(value);
  }

  /** The status of `service`, or undefined when it is not served here. */
  check(service: string): ServingStatus | undefined {
    return this.statuses.get(service)?.value;
  }

  /** The status of `service` now and on every change; SERVICE_UNKNOWN once for a service not served here. */
  watch(service: string): Observable<ServingStatus> {
    return this.statuses.get(service)?.asObservable() ?? new BehaviorSubject<ServingStatus>(ServingStatus.SERVICE_UNKNOWN).asObservable();
  }

  /** Ends every open Watch stream (on shutdown). */
  close(): void {
    for (const status of this.statuses.values()) status.complete();
  }
}
