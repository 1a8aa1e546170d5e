// Generated from proto/ by `npm run generate`; never edit the files under generated/.
export * as blackfriday from './generated/blackfriday';
export * as health from './generated/grpc/health/v1/health';
export * as olympics from './generated/olympics';
export * as weather from './generated/weather';
export * as writerBatch from './generated/oleada/writer/v1/batch';
