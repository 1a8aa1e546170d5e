import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectRabbitMQ } from '@oleada/broker';
import { cacheDir, runDir, which } from './paths';
import { isPortOpen } from './probe';
import { sleep } from './process';
import { OwnedServer, ReusedServer, type ServerHandle } from './server';

/** Local AMQP port (docs/architecture.md); the distribution port and epmd follow it (+1, +2). */
export const DEFAULT_RABBITMQ_PORT = 15673;
/** Where Debian's `rabbitmq-server` package puts the real scripts (the /usr/sbin ones switch to the rabbitmq user). */
const DEBIAN_SCRIPTS = '/usr/lib/rabbitmq/bin';
const SETUP_HINT = 'run `bash tools/scripts/setup.sh` first (it installs Debian\'s rabbitmq-server)';

export interface RabbitMQCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RabbitMQHandle extends ServerHandle {
  /** `amqp://127.0.0.1:<port>/` — the value for RABBITMQ_URL (no credentials in it). */
  readonly url: string;
  readonly credentials: RabbitMQCredentials;
  /** RABBITMQ_URL, RABBITMQ_USERNAME and RABBITMQ_PASSWORD for an app or a test. */
  readonly env: Readonly<Record<string, string>>;
}

export interface StartRabbitMQOptions {
  /** AMQP listener. Default 15673. */
  port?: number;
  /** Erlang distribution port. Default port + 1. */
  distPort?: number;
  /** The node's own epmd. Default port + 2. */
  epmdPort?: number;
  /** Default `.cache/run/rabbitmq-<port>`. */
  dataDir?: string;
  /** Wipe the data dir (queues, users) before starting. Throws if a broker already answers. */
  fresh?: boolean;
  /** Reuse a RabbitMQ already answering on the port (default true); false makes that an error. */
  reuse?: boolean;
  /** Default 300000: a bound for a hang, not an expectation (a starved machine is slow to boot Erlang). */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. Default 30000. */
  stopTimeoutMs?: number;
  /** Kill the node when this Node process dies (Linux). Default true. */
  dieWithParent?: boolean;
}

/**
 * The local broker user: `oleada` with a password generated once into `.cache/rabbitmq.credentials.json`
 * (git-ignored, mode 600). Apps and tests get them by environment, never from a committed file.
 */
export function localRabbitMQCredentials(): RabbitMQCredentials {
  const file = join(cacheDir(), 'rabbitmq.credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<RabbitMQCredentials>;
    if (saved.username && saved.password) return { username: saved.username, password: saved.password };
  }
  mkdirSync(cacheDir(), { recursive: true });
  const credentials = { username: 'oleada', password: randomBytes(18).toString('base64url') };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return credentials;
}

function urlOf(port: number): string {
  return `amqp://127.0.0.1:${port}/`;
}

function envOf(port: number, credentials: RabbitMQCredentials): Record<string, string> {
  return { RABBITMQ_URL: urlOf(port), RABBITMQ_USERNAME: credentials.username, RABBITMQ_PASSWORD: credentials.password };
}

/** The directory with `rabbitmq-server` and `rabbitmqctl` (OLEADA_RABBITMQ_SCRIPTS overrides). */
export function rabbitmqScriptsDir(): string {
  const candidates = [process.env.OLEADA_RABBITMQ_SCRIPTS, DEBIAN_SCRIPTS].filter((d): d is string => !!d);
  for (const dir of candidates) if (existsSync(join(dir, 'rabbitmq-server'))) return dir;
  const onPath = which('rabbitmq-server');
  if (onPath) throw new Error(`found ${onPath} but not the scripts it wraps in ${DEBIAN_SCRIPTS}; set OLEADA_RABBITMQ_SCRIPTS`);
  throw new Error(`no rabbitmq-server in ${candidates.join(' or ')}: ${SETUP_HINT}`);
}

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/**
 * 'expected' when the port answers the AMQP 0-9-1 protocol header with a Connection.Start method
 * frame (type 1, channel 0, class 10, method 10), 'foreign' when it answers anything else.
 */
export async function probeRabbitMQ(port: number, timeoutMs = 1500): Promise<'closed' | 'expected' | 'foreign'> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let connected = false;
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (state: 'closed' | 'expected' | 'foreign') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => finish(connected ? 'foreign' : 'closed'), timeoutMs);
    socket.once('connect', () => {
      connected = true;
      socket.write(AMQP_HEADER);
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 11) return;
      const start = buf[0] === 1 && buf.readUInt16BE(1) === 0 && buf.readUInt16BE(7) === 10 && buf.readUInt16BE(9) === 10;
      finish(start ? 'expected' : 'foreign');
    });
    socket.once('error', () => finish(connected ? 'foreign' : 'closed'));
    socket.once('close', () => finish(connected ? 'foreign' : 'closed'));
  });
}

/** True when the broker on the port accepts these credentials (an AMQP login, then close). */
async function loginWorks(port: number, credentials: RabbitMQCredentials): Promise<boolean> {
  try {
    const connection = await connectRabbitMQ({ url: urlOf(port), ...credentials, clientName: 'oleada-infra-probe' });
    connection.on('error', () => undefined);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** A node config: loopback listener from the env, logs to the console (our log file), small limits for a dev box. */
function nodeConfig(): string {
  return [
    '# Written by tools/local (startRabbitMQ) on every start.',
    'log.console = true',
    'log.console.level = info',
    'log.console.use_colors = off',
    'log.file = false',
    'disk_free_limit.absolute = 50MB',
    'vm_memory_high_watermark.absolute = 512MB',
    '',
  ].join('\n');
}

/**
 * Erlang VM flags for a shared 2-core machine: two schedulers and no busy-waiting (the default
 * spins idle schedulers), distribution on loopback only.
 */
const ERL_ARGS = '+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}';

interface NodeLayout {
  readonly port: number;
  readonly distPort: number;
  readonly epmdPort: number;
  readonly nodeName: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly scripts: string;
}

/** The environment of the node and of rabbitmqctl: everything under the data dir, nothing from /etc or the caller. */
function nodeEnv(layout: NodeLayout): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(RABBITMQ_|ERL_)/.test(name)));
  const { dataDir } = layout;
  return {
    ...inherited,
    HOME: join(dataDir, 'home'), // the Erlang cookie lives here, shared by the node and rabbitmqctl
    RABBITMQ_NODENAME: layout.nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(layout.port),
    RABBITMQ_DIST_PORT: String(layout.distPort),
    ERL_EPMD_PORT: String(layout.epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dataDir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dataDir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dataDir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dataDir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dataDir, 'rabbitmq.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: ERL_ARGS,
    // exec the VM itself (no wrapper shell), so our pid is the node's and signals reach it.
    RABBITMQ_ALLOW_INPUT: '1',
    RABBITMQ_SERVER_START_ARGS: '-noinput',
  };
}

/** Runs rabbitmqctl against the node; its output is kept in `rabbitmqctl.log` beside the node's log. */
function rabbitmqctl(layout: NodeLayout, args: string[], input?: string, timeoutMs = 300_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(layout.scripts, 'rabbitmqctl'), ['-n', layout.nodeName, ...args], {
      cwd: layout.dataDir,
      env: nodeEnv(layout),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // the password is never an argument, and never in the log
      writeFileSync(join(layout.dataDir, 'rabbitmqctl.log'), `=== ${new Date().toISOString()} rabbitmqctl ${args[0]}: exit ${code}\n${output.trim() ? `${output.trim()}\n` : ''}`, { flag: 'a' });
      resolve({ code, output });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * Creates the local user with all permissions on `/` and deletes `guest`; skipped when a marker
 * says it was done for these credentials. The password reaches rabbitmqctl on stdin.
 */
async function provision(layout: NodeLayout, credentials: RabbitMQCredentials): Promise<void> {
  const marker = join(layout.dataDir, 'provisioned');
  const stamp = createHash('sha256').update(`${credentials.username}\n${credentials.password}`).digest('hex');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === stamp) return;
  const must = async (args: string[], input?: string) => {
    const result = await rabbitmqctl(layout, args, input);
    if (result.code !== 0) throw new Error(`rabbitmqctl ${args[0]} failed (exit ${result.code}): ${result.output.trim()}`);
  };
  // rabbitmqctl is an Erlang VM of its own: on a starved machine it may take minutes just to boot.
  await must(['await_startup', '--timeout', '240']);
  const added = await rabbitmqctl(layout, ['add_user', credentials.username], `${credentials.password}\n`);
  if (added.code !== 0) {
    if (!/already exists/i.test(added.output)) throw new Error(`rabbitmqctl add_user failed (exit ${added.code}): ${added.output.trim()}`);
    await must(['change_password', credentials.username], `${credentials.password}\n`);
  }
  await must(['set_permissions', '-p', '/', credentials.username, '.*', '.*', '.*']);
  const deleted = await rabbitmqctl(layout, ['delete_user', 'guest']);
  if (deleted.code !== 0 && !/does not exist/i.test(deleted.output)) throw new Error(`rabbitmqctl delete_user guest failed: ${deleted.output.trim()}`);
  writeFileSync(marker, `${stamp}\n`);
}

/** Stops the node's own epmd (it refuses while any node is still registered with it). */
async function stopEpmd(layout: NodeLayout): Promise<void> {
  const epmd = which('epmd') ?? '/usr/lib/erlang/bin/epmd';
  if (!existsSync(epmd) || !(await isPortOpen(layout.epmdPort))) return;
  await new Promise<void>((resolve) => {
    const child = spawn(epmd, ['-port', String(layout.epmdPort), '-kill'], { stdio: 'ignore' });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

class OwnedRabbitMQ extends OwnedServer implements RabbitMQHandle {
  constructor(
    cfg: ConstructorParameters<typeof OwnedServer>[0],
    private readonly layout: NodeLayout,
    readonly credentials: RabbitMQCredentials,
  ) {
    super(cfg);
  }
  get url(): string {
    return urlOf(this.port);
  }
  get env(): Record<string, string> {
    return envOf(this.port, this.credentials);
  }

  /** Starts the node, waits for AMQP, provisions the user, and proves a login works. */
  override async launch(truncateLog: boolean): Promise<void> {
    await super.launch(truncateLog);
    try {
      await provision(this.layout, this.credentials);
      const deadline = Date.now() + 30_000;
      while (!(await loginWorks(this.port, this.credentials))) {
        if (Date.now() > deadline) throw new Error(`the local user cannot log in to 127.0.0.1:${this.port}`);
        await sleep(250);
      }
    } catch (error) {
      const tail = this.logTail(40);
      await this.stop();
      throw new Error(`rabbitmq on 127.0.0.1:${this.port} ${(error as Error).message}\n--- last 40 lines of ${this.logFile} ---\n${tail}`);
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    await stopEpmd(this.layout);
  }
}

class ReusedRabbitMQ extends ReusedServer implements RabbitMQHandle {
  constructor(
    port: number,
    readonly credentials: RabbitMQCredentials,
  ) {
    super('rabbitmq', port);
  }
  get url(): string {
    return urlOf(this.port);
  }
  get env(): Record<string, string> {
    return envOf(this.port, this.credentials);
  }
}

/**
 * RabbitMQ from Debian's `rabbitmq-server` as a node of its own: its own node name, AMQP,
 * distribution and epmd ports on loopback, data, logs and config under `.cache/run/rabbitmq-<port>`.
 * Reuses a broker already answering on the port if the local credentials log in to it.
 */
export async function startRabbitMQ(opts: StartRabbitMQOptions = {}): Promise<RabbitMQHandle> {
  const port = opts.port ?? DEFAULT_RABBITMQ_PORT;
  const credentials = localRabbitMQCredentials();
  const existing = await probeRabbitMQ(port);
  if (existing === 'expected') {
    if (opts.fresh) throw new Error(`rabbitmq: fresh start requested but a broker already answers on 127.0.0.1:${port}; stop it first`);
    if (opts.reuse === false) throw new Error(`rabbitmq: a broker already answers on 127.0.0.1:${port} (reuse disabled)`);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 300_000);
    while (!(await loginWorks(port, credentials))) {
      if (Date.now() > deadline) throw new Error(`rabbitmq: 127.0.0.1:${port} speaks AMQP but refuses the local user (${cacheDir()}/rabbitmq.credentials.json)`);
      await sleep(500);
    }
    return new ReusedRabbitMQ(port, credentials);
  }
  if (existing === 'foreign') throw new Error(`rabbitmq: port 127.0.0.1:${port} is in use by something that is not RabbitMQ`);

  const dataDir = opts.dataDir ?? runDir(`rabbitmq-${port}`);
  const layout: NodeLayout = {
    port,
    distPort: opts.distPort ?? port + 1,
    epmdPort: opts.epmdPort ?? port + 2,
    nodeName: `oleada-${port}@localhost`,
    dataDir,
    logFile: join(dataDir, 'rabbitmq.log'),
    scripts: rabbitmqScriptsDir(),
  };
  if (await isPortOpen(layout.distPort)) throw new Error(`rabbitmq: distribution port 127.0.0.1:${layout.distPort} is already in use; choose another distPort`);
  if (opts.fresh) rmSync(layout.dataDir, { recursive: true, force: true });
  for (const dir of ['home', 'mnesia', 'log']) mkdirSync(join(layout.dataDir, dir), { recursive: true });

  const server = new OwnedRabbitMQ(
    {
      name: 'rabbitmq',
      port,
      dataDir: layout.dataDir,
      logFile: layout.logFile,
      startTimeoutMs: opts.startTimeoutMs ?? 300_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 30_000,
      spawnSpec: {
        name: 'rabbitmq',
        command: join(layout.scripts, 'rabbitmq-server'),
        args: [],
        cwd: layout.dataDir,
        env: nodeEnv(layout),
        logFile: layout.logFile,
        pidFile: join(layout.dataDir, 'server.pid'),
        dieWithParent: opts.dieWithParent,
      },
      prepare: async () => {
        writeFileSync(join(layout.dataDir, 'rabbitmq.conf'), nodeConfig());
        writeFileSync(join(layout.dataDir, 'rabbitmq-env.conf'), '# deliberately empty: everything comes from the environment\n');
        writeFileSync(join(layout.dataDir, 'enabled_plugins'), '[].\n');
      },
      isReady: async () => (await probeRabbitMQ(port, 1000)) === 'expected',
    },
    layout,
    credentials,
  );
  try {
    await server.launch(true);
  } catch (err) {
    if (opts.reuse !== false && !opts.fresh && (await probeRabbitMQ(port)) === 'expected' && (await loginWorks(port, credentials))) {
      return new ReusedRabbitMQ(port, credentials);
    }
    throw err;
  }
  return server;
}
