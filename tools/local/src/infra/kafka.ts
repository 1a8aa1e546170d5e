import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_PORTS, KAFKA_VERSION, javaBinary, kafkaLibsDir, runDir } from './paths';
import { isPortOpen, probeKafkaProtocol } from './probe';
import { runToCompletion, sleep } from './process';
import { OwnedServer, ReusedServer, type ServerHandle } from './server';

export interface KafkaHandle extends ServerHandle {
  /** `127.0.0.1:<port>` — the value for KAFKA_BROKERS. */
  readonly brokers: string;
  /** KRaft controller port (undefined when reused). */
  readonly controllerPort: number | undefined;
  /** Cluster id written by the storage format (undefined when reused). */
  readonly clusterId: string | undefined;
}

export interface StartKafkaOptions {
  /** Client listener. Default 19092. */
  port?: number;
  /** KRaft controller listener. Default 19093. */
  controllerPort?: number;
  /** Default `.cache/run/kafka-<port>`. */
  dataDir?: string;
  /** Wipe the data dir (topics, offsets) before starting. Throws if a broker already answers. */
  fresh?: boolean;
  /** Reuse a Kafka already answering on the port (default true); false makes that an error. */
  reuse?: boolean;
  /** Extra/overriding server.properties entries. */
  overrides?: Record<string, string | number | boolean>;
  /** JVM options replacing the defaults (heap, GC). Env OLEADA_KAFKA_JVM_OPTS also replaces them. */
  jvmOpts?: string[];
  /** Default 300000: a bound for a hang, not an expectation (a starved machine is slow to boot a JVM). */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. Default 30000. */
  stopTimeoutMs?: number;
  /** Kill the broker when this Node process dies (Linux). Default true. */
  dieWithParent?: boolean;
  /**
   * After each (re)start, make the broker load its group and transaction coordinators (a
   * FindCoordinator and an idempotent-producer InitProducerId), so the first real client does not
   * get COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE. Default true.
   */
  warmUp?: boolean;
}

/** Small heap and serial GC: a dev box with 2 cores also runs the apps and the load generator. */
export const DEFAULT_KAFKA_JVM_OPTS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

/** Kafka's Uuid string form: 16 random bytes, URL-safe base64 without padding (not starting with '-'). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(port: number, controllerPort: number, logDir: string, overrides: StartKafkaOptions['overrides']): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    // dynamic KRaft quorum of one voter (storage formatted with --standalone)
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    'log.dirs': logDir,
    'num.partitions': 3,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // threads sized for 2 cores
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    // After a kill -9 the old broker registration blocks the restarted broker until this session
    // times out (default 9 s); shorter so fault tests restart in a few seconds.
    'broker.session.timeout.ms': 4000,
    'broker.heartbeat.interval.ms': 1000,
    'log.retention.hours': 24,
    ...overrides,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n');
}

interface FormatMarker {
  version: string;
  port: number;
  controllerPort: number;
  clusterId: string;
}

/** True when a Kafka answers on the port: ApiVersions, then a kafkajs admin describeCluster. */
export async function kafkaAnswers(port: number, timeoutMs = 3000): Promise<boolean> {
  if ((await probeKafkaProtocol(port, Math.min(timeoutMs, 2000))).state !== 'expected') return false;
  try {
    const info = await describeKafka(port, timeoutMs);
    return info.brokers.length > 0;
  } catch {
    return false;
  }
}

/** kafkajs admin describeCluster + listTopics against 127.0.0.1:port (throws on failure). */
export async function describeKafka(
  port: number,
  timeoutMs = 3000,
): Promise<{ clusterId: string; controller: number | null; brokers: { nodeId: number; host: string; port: number }[]; topics: string[] }> {
  const kafka = new Kafka({
    clientId: 'oleada-infra-probe',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const topics = await admin.listTopics();
    return { ...cluster, topics };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates/loads __consumer_offsets and the transaction coordinator. Best effort: never throws;
 * a failure is noted in `logFile`.
 */
async function warmUpCoordinators(port: number, logFile: string, timeoutMs = 20_000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'oleada-infra-warmup',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeGroups(['oleada-infra-warmup']); // FindCoordinator → __consumer_offsets
        await producer.connect(); // InitProducerId → transaction coordinator
      })(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs))),
    ]);
    writeFileSync(logFile, `=== ${new Date().toISOString()} oleada: coordinators warmed up in ${Date.now() - t0} ms\n`, { flag: 'a' });
  } catch (err) {
    writeFileSync(logFile, `=== ${new Date().toISOString()} oleada: coordinator warm-up failed: ${(err as Error).message}\n`, { flag: 'a' });
  } finally {
    clearTimeout(timer);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

class OwnedKafka extends OwnedServer implements KafkaHandle {
  clusterId: string | undefined;
  constructor(
    cfg: ConstructorParameters<typeof OwnedServer>[0],
    readonly controllerPort: number,
  ) {
    super(cfg);
  }
  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }
}

class ReusedKafka extends ReusedServer implements KafkaHandle {
  readonly controllerPort = undefined;
  readonly clusterId = undefined;
  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaHandle> {
  const port = opts.port ?? DEFAULT_PORTS.kafka;
  const controllerPort = opts.controllerPort ?? (opts.port ? opts.port + 1 : DEFAULT_PORTS.kafkaController);
  const startTimeoutMs = opts.startTimeoutMs ?? 300_000;

  const existing = await probeKafkaProtocol(port);
  if (existing.state === 'expected') {
    if (opts.fresh) throw new Error(`kafka: fresh start requested but a Kafka already answers on 127.0.0.1:${port}; stop it first`);
    if (opts.reuse === false) throw new Error(`kafka: a Kafka already answers on 127.0.0.1:${port} (reuse disabled)`);
    // It speaks Kafka; wait (it may still be starting) until it serves metadata.
    const deadline = Date.now() + startTimeoutMs;
    while (!(await kafkaAnswers(port))) {
      if (Date.now() > deadline) {
        throw new Error(`kafka: 127.0.0.1:${port} speaks the Kafka protocol but did not serve cluster metadata within ${startTimeoutMs} ms`);
      }
      await sleep(500);
    }
    return new ReusedKafka('kafka', port);
  }
  if (existing.state === 'foreign') {
    throw new Error(`kafka: port 127.0.0.1:${port} is in use by something that is not Kafka (${existing.detail})`);
  }
  if (await isPortOpen(controllerPort)) {
    throw new Error(`kafka: controller port 127.0.0.1:${controllerPort} is already in use (client port ${port} is free); choose another controllerPort`);
  }

  const java = javaBinary();
  const libs = kafkaLibsDir();
  const dataDir = opts.dataDir ?? runDir(`kafka-${port}`);
  if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const logDir = join(dataDir, 'data');
  const logFile = join(dataDir, 'kafka.log');
  const propsFile = join(dataDir, 'server.properties');
  const markerFile = join(dataDir, 'oleada-format.json');
  const envOpts = process.env.OLEADA_KAFKA_JVM_OPTS?.split(/\s+/).filter(Boolean);
  const jvmOpts = opts.jvmOpts ?? envOpts ?? DEFAULT_KAFKA_JVM_OPTS;
  const loggingOpts = [
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
  ];
  const classpath = `${libs}/*`;
  const env = process.env;

  let server: OwnedKafka | undefined = undefined;
  const prepare = async (): Promise<void> => {
    writeFileSync(propsFile, serverProperties(port, controllerPort, logDir, opts.overrides));
    let marker: FormatMarker | undefined;
    try {
      marker = JSON.parse(readFileSync(markerFile, 'utf8')) as FormatMarker;
    } catch {
      marker = undefined;
    }
    const formatted = existsSync(join(logDir, 'meta.properties'));
    const matches =
      marker !== undefined && marker.version === KAFKA_VERSION && marker.port === port && marker.controllerPort === controllerPort;
    if (formatted && matches) {
      server!.clusterId = marker!.clusterId;
      return;
    }
    // Unformatted, or formatted for other ports/version (the voter endpoint lives in the metadata log).
    rmSync(logDir, { recursive: true, force: true });
    rmSync(markerFile, { force: true });
    const clusterId = newClusterId();
    await runToCompletion(
      {
        name: 'kafka storage format',
        command: java,
        // short-lived JVM: C1 only starts faster
        args: [...jvmOpts, '-XX:TieredStopAtLevel=1', ...loggingOpts, '-cp', classpath, 'kafka.tools.StorageTool', 'format',
          '--config', propsFile, '--cluster-id', clusterId, '--standalone'],
        cwd: dataDir,
        env,
        logFile,
        dieWithParent: opts.dieWithParent,
      },
      60_000,
    );
    const m: FormatMarker = { version: KAFKA_VERSION, port, controllerPort, clusterId };
    writeFileSync(markerFile, JSON.stringify(m, null, 2) + '\n');
    server!.clusterId = clusterId;
  };

  server = new OwnedKafka(
    {
      name: 'kafka',
      port,
      dataDir,
      logFile,
      startTimeoutMs,
      stopTimeoutMs: opts.stopTimeoutMs ?? 30_000,
      spawnSpec: {
        name: 'kafka',
        command: java,
        args: [...jvmOpts, ...loggingOpts, '-cp', classpath, 'kafka.Kafka', propsFile],
        cwd: dataDir,
        env,
        logFile,
        pidFile: join(dataDir, 'server.pid'),
        dieWithParent: opts.dieWithParent,
      },
      prepare,
      isReady: () => kafkaAnswers(port),
      afterReady: opts.warmUp === false ? undefined : () => warmUpCoordinators(port, logFile),
    },
    controllerPort,
  );
  // The first launch writes a new log (the format step appends to it first).
  writeFileSync(logFile, '');
  try {
    await server.launch(false);
  } catch (err) {
    if (opts.reuse !== false && !opts.fresh && (await kafkaAnswers(port))) return new ReusedKafka('kafka', port);
    throw err;
  }
  return server;
}
