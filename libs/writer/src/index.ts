export * from './grpc-health.service';
export * from './grpc-server.options';
export * from './writer.constants';
export * from './writer.controller';
export * from './writer.module';
export * from './writer.service';
