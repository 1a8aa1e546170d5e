import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { Controller, Inject, type Type } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { health, writerBatch } from '@oleada/contracts';
import type { AnyScenario } from '@oleada/scenarios';
import { scenarioClass } from '@oleada/shared';
import { map, type Observable } from 'rxjs';
import { GrpcHealth } from './grpc-health.service';
import { BATCH_SERVICE_NAME, WriterService } from './writer.service';

/**
 * The writer's handler of one scenario, made from its definition: the scenario's unary spec method
 * (`blackfriday.ProductSaleService/procesarVenta`, …), so a new scenario is served without touching
 * this file. A writer has one per scenario of its SCENARIOS, whose services writerGrpcOptions serves.
 */
export function scenarioWriterController(scenario: AnyScenario): Type<unknown> {
  @Controller()
  class ScenarioWriterController {
    constructor(private readonly writer: WriterService) {}

    @GrpcMethod(scenario.grpc.serviceName, scenario.grpc.method)
    sendEvent(request: unknown, metadata: Metadata): Promise<unknown> {
      return this.writer.unary(scenario, request, metadata);
    }
  }
  return scenarioClass(ScenarioWriterController, scenario.name, 'WriterController');
}

/** The writer's EventBatchService: a relay's batch of a scenario's events in one call. */
@Controller()
export class WriterController {
  constructor(private readonly writer: WriterService) {}

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
