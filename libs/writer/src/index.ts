// What other projects use of the writer hop (apps/writer, the writer e2e spec); the rest is this lib's own.
export { writerGrpcOptions } from './grpc-server.options';
export { WriterModule, type WriterModuleOptions } from './writer.module';
