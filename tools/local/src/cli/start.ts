import { canonicalRoute, SCENARIOS, selectScenarios } from '@oleada/scenarios';
import { opt, parseCli } from '../cli-args';
import { DEFAULT_JAEGER_PORT, DEFAULT_PORTS, DEFAULT_RABBITMQ_PORT, describeInfra, ensureInfra, startJaeger, type JaegerHandle } from '../infra';
import { LocalStack, reachableAddress, STACK_BROKERS } from '../stack';

const { values: args } = parseCli({
  usage: 'npm start --',
  summary:
    'Starts Kafka (or RabbitMQ), Valkey and every app on loopback, reusing servers `npm run infra -- up` left running,\n' +
    'and prints the gateway URL; Ctrl-C stops what it started.',
  options: {
    scenario: opt.list('scenario to serve', { choices: SCENARIOS.map((s) => s.name), default: ['blackfriday'] }),
    broker: opt.choice('broker that carries the events', STACK_BROKERS, { default: 'kafka' }),
    'kafka-port': opt.port('Kafka (the next port is its controller)', { default: DEFAULT_PORTS.kafka }),
    'valkey-port': opt.port('Valkey', { default: DEFAULT_PORTS.valkey }),
    'rabbitmq-port': opt.port('RabbitMQ (and the next two ports)', { default: DEFAULT_RABBITMQ_PORT }),
    'port-offset': opt.int("added to the apps' ports (gateway 18080 + offset)", { default: 0, min: 0, max: 40_000 }),
    host: opt.ipv4('address the apps listen on (0.0.0.0: every address)', { default: '127.0.0.1' }),
    tracing: opt.flag('also start the trace store (Jaeger, built by `bash tools/cluster/build.sh jaeger`) and send every app\'s spans to it'),
    'jaeger-port': opt.port('Jaeger: OTLP/HTTP, then its query API and five more ports', { default: DEFAULT_JAEGER_PORT }),
  },
  notes: ['With --tracing the apps sample as OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG say (default: every event), exporting every second (OTEL_BSP_SCHEDULE_DELAY); `npm run trace -- <event id>` prints an event\'s hops.'],
});

/** Export delay of a development stack's spans: `npm run trace` soon after an event finds it (OTEL_BSP_SCHEDULE_DELAY wins). */
const DEV_EXPORT_DELAY_MS = 1000;

/** `npm start`: the servers and every app on loopback until Ctrl-C. `--scenario` may repeat; `--broker kafka|rabbitmq|both`. */
async function main(): Promise<void> {
  const broker = args.broker;
  const scenarios = selectScenarios(args.scenario ?? ['blackfriday']);
  const kafkaPort = args['kafka-port'];
  const infra = await ensureInfra({
    // RabbitMQ alone carries the events with --broker rabbitmq: no Kafka then.
    kafka: broker !== 'rabbitmq' && { port: kafkaPort, controllerPort: kafkaPort + 1 },
    valkey: { port: args['valkey-port'], auth: true },
    rabbitmq: broker === 'kafka' ? undefined : { port: args['rabbitmq-port'] },
  });
  let jaeger: JaegerHandle | undefined;
  if (args.tracing) {
    try {
      jaeger = await startJaeger({ port: args['jaeger-port'] });
    } catch (error) {
      await infra.stop();
      throw error;
    }
  }
  const stack = new LocalStack({
    kafkaBrokers: infra.kafka?.brokers,
    valkeyUrl: infra.valkey.url,
    valkeyCredential: infra.valkey.credentials?.consumer,
    rabbitmq: infra.rabbitmq?.env,
    broker,
    scenarios: scenarios.map((s) => s.name),
    portOffset: args['port-offset'],
    host: args.host,
    env: { LOG_LEVEL: 'info', ...(jaeger ? { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: process.env.OTEL_BSP_SCHEDULE_DELAY || String(DEV_EXPORT_DELAY_MS) } : {}) },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\n[start] stopping apps, then servers\n');
    await stack.stop();
    await jaeger?.stop();
    await infra.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await stack.start();
  } catch (error) {
    await jaeger?.stop();
    await infra.stop();
    throw error;
  }
  process.stdout.write(
    [
      `[start] ${describeInfra(infra)}; events through ${broker}`,
      ...stack.apps.map((app) => `[start] ${app.spec.name.padEnd(17)} http://${reachableAddress(args.host)}:${app.spec.port}  (log ${app.logFile})`),
      ...scenarios.map((s) => `[start] gateway: ${stack.gatewayUrl}  — POST ${[canonicalRoute(s), ...s.aliases].join(', ')}`),
      ...(jaeger ? [`[start] traces: ${jaeger.queryUrl}/api/traces (Jaeger; log ${jaeger.logFile}); npm run trace -- <event id> --jaeger-port ${args['jaeger-port']}`] : []),
      '[start] Ctrl-C stops everything',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] failed: ${(error as Error).message}\n`);
  process.exit(1);
});
