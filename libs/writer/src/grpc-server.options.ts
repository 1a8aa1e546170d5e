import type { ServiceDefinition } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { health, writerBatch } from '@oleada/contracts';
import type { AnyScenario } from '@oleada/scenarios';

/**
 * The writer's gRPC transport, one options object for main.ts and the tests: every served
 * scenario's service, EventBatchService and grpc.health.v1.Health on `host:port`.
 *
 * The package definition is made of the generated grpc-js service definitions (libs/contracts,
 * ts-proto from proto/), not re-read from the .proto files: the same typed serializers the relay's
 * client uses, and no second copy of a contract.
 */
export function writerGrpcOptions(scenarios: readonly AnyScenario[], port: number, host = '0.0.0.0'): GrpcOptions {
  const services: Record<string, ServiceDefinition> = {
    [`${writerBatch.protobufPackage}.EventBatchService`]: writerBatch.EventBatchServiceService,
    [`${health.protobufPackage}.Health`]: health.HealthService,
  };
  for (const scenario of scenarios) services[scenario.grpc.serviceName] = scenario.grpc.service;
  const packages = [...new Set(Object.keys(services).map((name) => name.slice(0, name.lastIndexOf('.'))))];
  return {
    transport: Transport.GRPC,
    options: {
      url: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      package: packages,
      packageDefinition: services,
      channelOptions: { 'grpc.max_concurrent_streams': 1000 },
      // By then WriterService.drain has refused new calls and let those in flight get their answer;
      // a graceful close lets those answers reach the relay (a call stuck past the relay's deadline
      // is cancelled by the relay, which ends it here too).
      gracefulShutdown: true,
    },
  };
}
