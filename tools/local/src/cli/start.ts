import { parseArgs } from 'node:util';
import { canonicalRoute, selectScenarios } from '@oleada/scenarios';
import { DEFAULT_PORTS, DEFAULT_RABBITMQ_PORT, ensureInfra } from '../infra';
import { LocalStack, STACK_BROKERS, type StackBroker } from '../stack';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    broker: { type: 'string', default: 'kafka' },
    'kafka-port': { type: 'string', default: String(DEFAULT_PORTS.kafka) },
    'valkey-port': { type: 'string', default: String(DEFAULT_PORTS.valkey) },
    'rabbitmq-port': { type: 'string', default: String(DEFAULT_RABBITMQ_PORT) },
    'port-offset': { type: 'string', default: '0' },
  },
});

/** `npm start`: the servers and every app on loopback until Ctrl-C. `--scenario` may repeat; `--broker kafka|rabbitmq|both`. */
async function main(): Promise<void> {
  const broker = args.broker as StackBroker;
  if (!STACK_BROKERS.includes(broker)) throw new Error(`--broker must be one of ${STACK_BROKERS.join(', ')}`);
  const scenarios = selectScenarios(args.scenario ?? ['blackfriday']);
  const kafkaPort = Number(args['kafka-port']);
  const infra = await ensureInfra({
    kafka: { port: kafkaPort, controllerPort: kafkaPort + 1 },
    valkey: { port: Number(args['valkey-port']), auth: true },
    rabbitmq: broker === 'kafka' ? undefined : { port: Number(args['rabbitmq-port']) },
  });
  const stack = new LocalStack({
    kafkaBrokers: infra.kafka.brokers,
    valkeyUrl: infra.valkey.url,
    valkeyCredential: infra.valkey.credentials?.consumer,
    rabbitmq: infra.rabbitmq?.env,
    broker,
    scenarios: scenarios.map((s) => s.name),
    portOffset: Number(args['port-offset']),
    env: { LOG_LEVEL: 'info' },
  });
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
      `[start] Kafka ${infra.kafka.brokers}, Valkey ${infra.valkey.url}${infra.rabbitmq ? `, RabbitMQ ${infra.rabbitmq.url}` : ''}; events through ${broker}`,
      ...stack.apps.map((app) => `[start] ${app.spec.name.padEnd(17)} http://127.0.0.1:${app.spec.port}  (log ${app.logFile})`),
      ...scenarios.map((s) => `[start] gateway: ${stack.gatewayUrl}  — POST ${[canonicalRoute(s), ...s.aliases].join(', ')}`),
      '[start] Ctrl-C stops everything',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] failed: ${(error as Error).message}\n`);
  process.exit(1);
});
