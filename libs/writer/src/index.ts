export * from './health.service';
export * from './writer.module';
export * from './writer.server';
