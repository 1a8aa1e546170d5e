import { status as GrpcStatus, type Server, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { health } from '@oleada/contracts';

const { HealthCheckResponse_ServingStatus: ServingStatus } = health;
type ServingStatus = health.HealthCheckResponse_ServingStatus;

/**
 * grpc.health.v1.Health: `''` answers for the whole server, each scenario service by its full
 * name. Watchers get the current status at once and every change after it.
 */
export class GrpcHealth {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>>>();

  constructor(services: readonly string[]) {
    for (const name of ['', ...services]) this.statuses.set(name, ServingStatus.NOT_SERVING);
  }

  setAll(serving: boolean): void {
    for (const name of this.statuses.keys()) this.set(name, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  private set(name: string, value: ServingStatus): void {
    if (this.statuses.get(name) === value) return;
    this.statuses.set(name, value);
    for (const call of this.watchers.get(name) ?? []) call.write({ status: value });
  }

  addTo(server: Server): void {
    server.addService(health.HealthService, {
      check: (call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>, callback: sendUnaryData<health.HealthCheckResponse>) => {
        const value = this.statuses.get(call.request.service);
        if (value === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, { status: value });
      },
      watch: (call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>) => {
        const name = call.request.service;
        call.write({ status: this.statuses.get(name) ?? ServingStatus.SERVICE_UNKNOWN });
        let set = this.watchers.get(name);
        if (!set) this.watchers.set(name, (set = new Set()));
        set.add(call);
        call.on('cancelled', () => set.delete(call));
      },
    });
  }

  /** Ends every open Watch stream (on shutdown). */
  close(): void {
    for (const set of this.watchers.values()) for (const call of set) call.end();
    this.watchers.clear();
  }
}
