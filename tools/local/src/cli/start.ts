import { parseArgs } from 'node:util';
import { ensureInfra } from '../infra';
import { LocalStack } from '../stack';

const { values: args } = parseArgs({ options: { scenario: { type: 'string', multiple: true }, broker: { type: 'string', default: 'kafka' } } });

/** `npm start`: Kafka, Valkey and every app on loopback until Ctrl-C. */
async function main(): Promise<void> {
  if (args.broker !== 'kafka') throw new Error(`--broker ${args.broker} is not available yet (kafka only)`);
  const infra = await ensureInfra();
  const stack = new LocalStack({ kafkaBrokers: infra.kafka.brokers, valkeyUrl: infra.valkey.url, scenarios: args.scenario ?? ['blackfriday'], env: { LOG_LEVEL: 'info' } });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\n[start] stopping apps, then servers\n');
    await stack.stop();
    await infra.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await stack.start();
  } catch (error) {
    await infra.stop();
    throw error;
  }
  process.stdout.write(
    [
      `[start] Kafka ${infra.kafka.brokers}, Valkey ${infra.valkey.url}`,
      ...stack.apps.map((app) => `[start] ${app.spec.name.padEnd(10)} http://127.0.0.1:${app.spec.port}  (log ${app.logFile})`),
      `[start] gateway: ${stack.gatewayUrl}  — POST /api/v1/blackfriday/events; Ctrl-C stops everything`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] failed: ${(error as Error).message}\n`);
  process.exit(1);
});
