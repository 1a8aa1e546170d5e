import { createRequire } from 'node:module';

/**
 * `require` from inside the kafkajs this library imports: its unexported modules by their path in
 * the package (`./src/network/requestQueue`), and `.resolve` for their file names. The fixes to
 * kafkajs 2.2.4 (request-queue-timer.ts, crc32c.ts) reach its internals through this alone.
 */
export const kafkajsInternal = createRequire(require.resolve('kafkajs'));
