#!/usr/bin/env node
/** Local Kafka + Valkey (+ RabbitMQ with --rabbitmq or --rabbitmq-port): `npm run infra -- --help`. */
import { relative } from 'node:path';
import { opt, parseCli } from '../cli-args';
import {
  DEFAULT_PORTS,
  DEFAULT_RABBITMQ_PORT,
  describeKafka,
  ensureInfra,
  probeKafkaProtocol,
  probeRabbitMQ,
  probeValkey,
  recordedServers,
  repoRoot,
  runDir,
  stopRecordedServers,
  type Infra,
  type ServerHandle,
  valkeyAuthProbe,
  valkeyCredentials,
} from '../infra';

const { values, command } = parseCli({
  usage: 'npm run infra --',
  summary: 'The local Kafka and Valkey (and RabbitMQ) exactly as `npm start` uses them; `npm start` reuses what `up` left running.',
  commands: {
    up: 'start them (or reuse running ones) and stay in the foreground; Ctrl-C stops them',
    status: 'what answers on the local ports (exit 1 if something does not)',
    down: 'stop the servers recorded for these ports in .cache/run (e.g. from an `up` elsewhere or a crashed test)',
  },
  options: {
    fresh: opt.flag('up: wipe the data directories first'),
    all: opt.flag('down: every server recorded in .cache/run, whatever its port'),
    'kafka-port': opt.port('Kafka', { default: DEFAULT_PORTS.kafka }),
    'controller-port': opt.port("Kafka's controller", { defaultText: 'the Kafka port + 1' }),
    'valkey-port': opt.port('Valkey', { default: DEFAULT_PORTS.valkey }),
    rabbitmq: opt.flag(`RabbitMQ too, on ${DEFAULT_RABBITMQ_PORT} (distribution ${DEFAULT_RABBITMQ_PORT + 1}, epmd ${DEFAULT_RABBITMQ_PORT + 2})`),
    'rabbitmq-port': opt.port('RabbitMQ too, on this port (and the next two)'),
  },
});

interface Args {
  fresh: boolean;
  kafkaPort: number;
  controllerPort: number;
  valkeyPort: number;
  rabbitmqPort: number | undefined;
  all: boolean;
}

const args: Args = {
  fresh: values.fresh,
  all: values.all,
  kafkaPort: values['kafka-port'],
  controllerPort: values['controller-port'] ?? values['kafka-port'] + 1,
  valkeyPort: values['valkey-port'],
  rabbitmqPort: values['rabbitmq-port'] ?? (values.rabbitmq ? DEFAULT_RABBITMQ_PORT : undefined),
};

const rel = (p: string | undefined): string => (p ? relative(process.cwd(), p) || '.' : '-');

function describe(h: ServerHandle): string {
  return h.reused ? 'reused (already running; left alone on exit)' : `started pid ${h.pid}, data ${rel(h.dataDir)}, log ${rel(h.logFile)}`;
}

async function up(args: Args): Promise<void> {
  const t0 = Date.now();
  console.log(`[infra] starting Kafka, Valkey${args.rabbitmqPort ? ' and RabbitMQ' : ''}…`);
  const infra: Infra = await ensureInfra({
    fresh: args.fresh,
    kafka: { port: args.kafkaPort, controllerPort: args.controllerPort },
    // With authentication, as `npm start`, the demo, the bench and the tests start it, so they reuse it.
    valkey: { port: args.valkeyPort, auth: true },
    rabbitmq: args.rabbitmqPort ? { port: args.rabbitmqPort } : undefined,
  });
  console.log(`[infra] kafka  ${infra.kafka.brokers}  ${describe(infra.kafka)}`);
  console.log(`[infra] valkey ${infra.valkey.url}  ${describe(infra.valkey)}`);
  if (infra.rabbitmq) console.log(`[infra] rabbitmq ${infra.rabbitmq.url}  ${describe(infra.rabbitmq)}`);
  console.log(`[infra] ready in ${Date.now() - t0} ms`);
  console.log(`KAFKA_BROKERS=${infra.kafka.brokers}`);
  console.log(`VALKEY_URL=${infra.valkey.url}`);
  // The password stays in .cache/rabbitmq.credentials.json; only the URL and user are printed.
  if (infra.rabbitmq) console.log(`RABBITMQ_URL=${infra.rabbitmq.url}\nRABBITMQ_USERNAME=${infra.rabbitmq.credentials.username}`);

  const owned = ([infra.kafka, infra.valkey, infra.rabbitmq] as Array<ServerHandle | undefined>).filter((h): h is ServerHandle => h !== undefined && !h.reused);
  if (owned.length === 0) {
    console.log('[infra] every server was already running; nothing to keep up, exiting');
    return;
  }
  console.log('[infra] running; Ctrl-C stops them');

  let stopping = false;
  const shutdown = async (reason: string, code: number): Promise<never> => {
    if (stopping) process.exit(code);
    stopping = true;
    clearInterval(watch);
    console.log(`[infra] ${reason}: stopping…`);
    await infra.stop();
    console.log('[infra] stopped');
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) {
      console.log(`[infra] ${sig} again: exiting now (servers get SIGTERM)`);
      process.exit(130);
    }
    void shutdown(sig, 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // A server that dies on its own: show why, stop the other one, fail.
  const watch = setInterval(() => {
    for (const h of owned) {
      if (!stopping && !h.running) {
        const e = h.lastExit;
        // SIGTERM/SIGINT from outside (e.g. `infra down`): the JVM exits 143/130, valkey and RabbitMQ 0
        const clean = e && (e.signal === 'SIGTERM' || e.signal === 'SIGINT' || e.code === 0 || e.code === 143 || e.code === 130);
        if (clean) {
          void shutdown(`${h.name} was stopped from outside (exit ${e.signal ?? e.code})`, 0);
        } else {
          console.error(`[infra] ${h.name} exited unexpectedly (${e?.signal ?? e?.code}); last lines of ${rel(h.logFile)}:\n${h.logTail(40)}`);
          void shutdown(`${h.name} died`, 1);
        }
      }
    }
  }, 1000);
}

async function status(args: Args): Promise<boolean> {
  let ok = true;
  const k = await probeKafkaProtocol(args.kafkaPort);
  if (k.state === 'expected') {
    try {
      const d = await describeKafka(args.kafkaPort, 5000);
      const brokers = d.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(',');
      console.log(`kafka  127.0.0.1:${args.kafkaPort}  up: cluster ${d.clusterId}, brokers ${brokers}, ${d.topics.length} topic(s)`);
    } catch (e) {
      ok = false;
      console.log(`kafka  127.0.0.1:${args.kafkaPort}  speaks Kafka but metadata failed: ${(e as Error).message}`);
    }
  } else {
    ok = false;
    console.log(`kafka  127.0.0.1:${args.kafkaPort}  ${k.state === 'closed' ? 'down (nothing listens)' : `not Kafka: ${k.detail}`}`);
  }
  const v = await probeValkey(args.valkeyPort);
  const authRequired = v.state === 'foreign' && /NOAUTH/.test(v.detail);
  if (v.state === 'expected') {
    ok = false;
    console.log(`valkey redis://127.0.0.1:${args.valkeyPort}  answers WITHOUT authentication: not the Valkey \`infra up\` starts (npm start refuses it)`);
  } else if (authRequired) {
    const admin = valkeyCredentials().admin;
    const auth = await valkeyAuthProbe(args.valkeyPort, admin);
    if (auth !== 'ok') ok = false;
    console.log(
      `valkey redis://127.0.0.1:${args.valkeyPort}  ${auth === 'ok' ? `up, authentication required, user ${admin.username} accepted` : `requires authentication and ${auth === 'denied' ? 'refuses' : 'did not answer'} the credentials in .cache/secrets`}`,
    );
  } else {
    ok = false;
    console.log(`valkey redis://127.0.0.1:${args.valkeyPort}  ${v.state === 'closed' ? 'down (nothing listens)' : `not Valkey: ${v.detail}`}`);
  }
  if (args.rabbitmqPort) {
    const r = await probeRabbitMQ(args.rabbitmqPort);
    if (r !== 'expected') ok = false;
    console.log(`rabbitmq amqp://127.0.0.1:${args.rabbitmqPort}/  ${r === 'expected' ? 'up (AMQP 0-9-1)' : r === 'closed' ? 'down (nothing listens)' : 'not RabbitMQ'}`);
  }
  for (const r of recordedServers(runDir('.'))) {
    console.log(`recorded ${rel(r.dir)}: pid ${r.pid} ${r.alive ? 'alive' : 'gone (stale pid file)'}`);
  }
  return ok;
}

async function down(args: Args): Promise<void> {
  const names = args.all
    ? undefined
    : [`kafka-${args.kafkaPort}`, `valkey-${args.valkeyPort}`, ...(args.rabbitmqPort ? [`rabbitmq-${args.rabbitmqPort}`] : [])];
  const stopped = await stopRecordedServers(runDir('.'), names);
  if (stopped.length === 0) console.log(`[infra] no running server recorded in .cache/run/${names ? `{${names.join(',')}}` : '*'}`);
  for (const s of stopped) console.log(`[infra] stopped pid ${s.pid} (${rel(s.dir)})`);
  for (const [name, port, probe] of [
    ['kafka', args.kafkaPort, probeKafkaProtocol],
    ['valkey', args.valkeyPort, probeValkey],
  ] as const) {
    if ((await probe(port)).state !== 'closed') console.log(`[infra] note: port ${port} (${name}) still answers; it was not started by this tool`);
  }
}

async function main(): Promise<void> {
  process.chdir(repoRoot());
  switch (command) {
    case 'up':
      return up(args);
    case 'status':
      if (!(await status(args))) process.exitCode = 1;
      return;
    case 'down':
      return down(args);
  }
}

main().catch((err: Error) => {
  console.error(`[infra] ${err.message}`);
  process.exit(1);
});
