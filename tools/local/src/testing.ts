import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyScenario } from '@oleada/scenarios';
import { EXIT_USAGE } from './cli-args';
import { repoRoot } from './infra/paths';
import Valkey from 'iovalkey';

const HOW = 'run the tests with `npm test` (tools/scripts/run-tests.mjs starts the servers)';

/**
 * The servers a test runs against: the ones `tools/scripts/run-tests.mjs` started (KAFKA_BROKERS,
 * VALKEY_URL). A test run without them fails with a message saying how to run it; it never skips.
 */
export function testServers(): { kafkaBrokers: string; valkeyUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const valkeyUrl = process.env.VALKEY_URL;
  if (!kafkaBrokers || !valkeyUrl) throw new Error(`KAFKA_BROKERS and VALKEY_URL are not set: ${HOW}`);
  return { kafkaBrokers, valkeyUrl };
}

/**
 * The RabbitMQ that `run-tests.mjs` started, as the environment an app or a client takes
 * (RABBITMQ_URL, RABBITMQ_USERNAME, RABBITMQ_PASSWORD). Fails, never skips, when it is not set.
 */
export function testRabbitMQ(): { RABBITMQ_URL: string; RABBITMQ_USERNAME: string; RABBITMQ_PASSWORD: string } {
  const { RABBITMQ_URL, RABBITMQ_USERNAME, RABBITMQ_PASSWORD } = process.env;
  if (!RABBITMQ_URL || !RABBITMQ_USERNAME || !RABBITMQ_PASSWORD) throw new Error(`RABBITMQ_URL, RABBITMQ_USERNAME and RABBITMQ_PASSWORD are not set: ${HOW}`);
  return { RABBITMQ_URL, RABBITMQ_USERNAME, RABBITMQ_PASSWORD };
}

/**
 * The Valkey user tests read and clean up with (the admin user `run-tests.mjs` exports as
 * VALKEY_USERNAME/VALKEY_PASSWORD; Valkey requires authentication there).
 */
export function testValkeyCredential(): { username?: string; password?: string } {
  return { username: process.env.VALKEY_USERNAME, password: process.env.VALKEY_PASSWORD };
}

/** The consumer's Valkey user, for stacks a test starts (exported by `run-tests.mjs`). */
export function testConsumerCredential(): { username: string; password: string } | undefined {
  const { VALKEY_CONSUMER_USERNAME: username, VALKEY_CONSUMER_PASSWORD: password } = process.env;
  return username && password ? { username, password } : undefined;
}

/** A connected Valkey client for a test. */
export async function testValkey(): Promise<Valkey> {
  const client = new Valkey(testServers().valkeyUrl, { lazyConnect: true, maxRetriesPerRequest: 1, ...testValkeyCredential() });
  await client.connect();
  return client;
}

/**
 * Environment of the app stacks functional tests start: hop deadlines no starved machine reaches.
 * Those tests check counts and answers, not speed; with the default 3 s gRPC and 5 s request
 * deadlines a CPU-starved run turns slow answers into 503s. The fault suite tests the deadlines.
 */
export const TEST_STACK_ENV: Readonly<Record<string, string>> = { REQUEST_TIMEOUT_MS: '60000', GRPC_DEADLINE_MS: '60000' };

/** A name no other test run uses (topics, groups, namespaces). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A copy of a scenario on topics and queues of a test's own (`<prefix>.<topic>`), so tests never
 * read each other's records; routing and decoding see the scenario's real topic names.
 */
export function isolatedScenario(scenario: AnyScenario, prefix: string): AnyScenario {
  const own = (topic: string) => `${prefix}.${topic}`;
  const real = (topic: string) => (topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : topic);
  return {
    ...scenario,
    topics: scenario.topics.map(own),
    deadLetterTopic: own(scenario.deadLetterTopic),
    queues: { deadLetter: own(scenario.queues.deadLetter) },
    route: (message, random) => own(scenario.route(message, random)),
    decode: (bytes, meta) => scenario.decode(bytes, { ...meta, topic: real(meta.topic) }),
  };
}

/**
 * Ports of a test's own stack: `base` plus OLEADA_TEST_PORT_OFFSET, so a developer's test run
 * can sit beside another on the same machine (e.g. CI's) without sharing a port.
 */
export function testPortOffset(base: number): number {
  const extra = Number(process.env.OLEADA_TEST_PORT_OFFSET ?? 0);
  if (!Number.isInteger(extra) || extra < 0) throw new Error(`OLEADA_TEST_PORT_OFFSET=${process.env.OLEADA_TEST_PORT_OFFSET} is not a port offset`);
  return base + extra;
}

/** A built command line (`tools/…/dist/….js`, from the repository root) run to its end. */
export function runCli(script: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(repoRoot(), script), ...args], { cwd: repoRoot(), encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

/** --help answered: exit 0, every option listed, each default shown. */
export function assertHelp(run: SpawnSyncReturns<string>, options: readonly string[], defaults: readonly string[]): void {
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^usage: /);
  for (const option of [...options, '--help']) assert.ok(run.stdout.includes(`${option} `), `--help lists ${option}:\n${run.stdout}`);
  for (const value of defaults) assert.ok(run.stdout.includes(`(default: ${value})`), `--help shows the default ${value}:\n${run.stdout}`);
}

/** A command line refused: exit 64, nothing on stdout, one line on stderr naming `what`, no stack. */
export function assertUsageError(run: SpawnSyncReturns<string>, what: string): void {
  assert.equal(run.status, EXIT_USAGE, `exit ${run.status}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '', 'nothing started, nothing printed on stdout');
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.ok(run.stderr.includes(what), `names ${what}: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at |ERR_PARSE_ARGS/);
}

/** `a.b.c.d` or `[v6]` from /proc/net/tcp's hex (each 32-bit word in host, little-endian, order). */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // Uncompressed but for the two addresses that matter here: every address and loopback.
  const text = groups.join(':');
  return `[${text === '0:0:0:0:0:0:0:0' ? '::' : text === '0:0:0:0:0:0:0:1' ? '::1' : text}]`;
}

/**
 * Every TCP address `pid` listens on (`127.0.0.1:18080`, `0.0.0.0:15051`, `[::]:8080`), from its
 * socket descriptors and the kernel's socket tables (Linux /proc).
 */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket) inodes.add(socket[1]);
    } catch {
      // closed meanwhile
    }
  }
  const addresses: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, port] = fields[1].split(':');
      // State 0A is LISTEN; field 10 the socket's inode.
      if (fields[3] === '0A' && inodes.has(fields[9])) addresses.push(`${procAddress(address)}:${parseInt(port, 16)}`);
    }
  }
  return addresses;
}

/**
 * What a run must leave as it was: `git status --porcelain` of the repository, plus the size and
 * modification time of every file under `paths` (from the root), so that rewriting a committed
 * report with equal content shows too. A spec takes it before and after a run and compares.
 */
export function treeState(...paths: string[]): string {
  const root = repoRoot();
  const status = execFileSync('git', ['-C', root, 'status', '--porcelain'], { encoding: 'utf8' });
  const files = paths.flatMap((path) => {
    const full = join(root, path);
    const names = statSync(full).isDirectory() ? readdirSync(full, { recursive: true, encoding: 'utf8' }).map((name) => join(full, name)) : [full];
    return names.map((name) => {
      const stat = statSync(name);
      return `${name} ${stat.size} ${stat.mtimeMs}`;
    });
  });
  return [status, ...files.sort()].join('\n');
}
