import { status as GrpcStatus, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, GrpcMethodStreamingType, MessagePattern, RpcException, Transport } from '@nestjs/microservices';
import { health, writerBatch } from '@oleada/contracts';
import { SCENARIOS } from '@oleada/scenarios';
import { map, type Observable } from 'rxjs';
import { GrpcHealth } from './grpc-health.service';
import { BATCH_SERVICE_NAME, WriterService } from './writer.service';

/**
 * The unary method of every scenario in the registry (`blackfriday.ProductSaleService/procesarVenta`,
 * …), so a new scenario is served without touching this controller. A writer serves only the
 * services of its SCENARIOS (see writerGrpcOptions); the other patterns match nothing.
 */
const SCENARIO_METHODS = SCENARIOS.map((s) => ({ service: s.grpc.serviceName, rpc: s.grpc.method, streaming: GrpcMethodStreamingType.NO_STREAMING }));

/** The writer's gRPC handlers: each scenario's spec method and EventBatchService. */
@Controller()
export class WriterController {
  constructor(private readonly writer: WriterService) {}

  @MessagePattern(SCENARIO_METHODS, Transport.GRPC)
  sendEvent(request: unknown, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<unknown> {
    const scenario = this.writer.scenarioAt(call.getPath());
    if (!scenario) throw new RpcException({ code: GrpcStatus.UNIMPLEMENTED, details: `${call.getPath()} is not served here` });
    return this.writer.unary(scenario, request, metadata);
  }

  @GrpcMethod(BATCH_SERVICE_NAME, 'writeBatch')
  writeBatch(request: writerBatch.WriteBatchRequest): Promise<writerBatch.WriteBatchResponse> {
    return this.writer.writeBatch(request);
  }
}

const HEALTH_SERVICE_NAME = `${health.protobufPackage}.Health`;

/** grpc.health.v1.Health: `''` answers for the whole server, each service by its full name. */
@Controller()
export class GrpcHealthController {
  constructor(@Inject(GrpcHealth) private readonly statuses: GrpcHealth) {}

  @GrpcMethod(HEALTH_SERVICE_NAME, 'check')
  check(request: health.HealthCheckRequest): health.HealthCheckResponse {
    const status = this.statuses.check(request.service);
    if (status === undefined) throw new RpcException({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${request.service}`, message: `unknown service ${request.service}` });
    return { status };
  }

  @GrpcMethod(HEALTH_SERVICE_NAME, 'watch')
  watch(request: health.HealthCheckRequest): Observable<health.HealthCheckResponse> {
    return this.statuses.watch(request.service).pipe(map((status) => ({ status })));
  }
}
