/**
 * The gateway's own cost, alone: CPU-ms per request of the gateway process under a fixed offered
 * rate and at saturation, against a fake relay that accepts every batch at once (no writer, no
 * broker), so the figure is the gateway's per-request path and nothing else.
 *
 *   node tools/bench/dist/cli/gateway-cpu.js [--port 21080] [--rate 1000] [--seconds 10] [--connections 32] [--node-args=--cpu-prof]
 *
 * The gateway needs its Valkey (Idempotency-Keys) to start: a real one runs beside it, with the ACL
 * users of tools/local, on the port after the fake relay's; the load sends no Idempotency-Key, so the
 * per-request path does not touch it.
 * The fake relay and the load run in this process; only the gateway's CPU (/proc/<pid>/stat) is
 * counted, so what else the machine runs matters less than for `npm run bench` — still compare runs
 * taken close together.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { opt, parseCli, startValkey, valkeyClientEnv } from '@oleada/local';
import { blackfridayScenario, canonicalRoute, seededRandom } from '@oleada/scenarios';
import { readProcess } from '../measure/processes';

const { values: args } = parseCli({
  usage: 'node tools/bench/dist/cli/gateway-cpu.js',
  summary: "The gateway's own CPU-ms per request against a fake relay, at a fixed rate and at saturation.",
  options: {
    port: opt.port("the gateway's port (the fake relay's is the next, its Valkey's the one after)", { default: 21080 }),
    rate: opt.int('offered requests/s of the fixed-rate run', { default: 1000, min: 1 }),
    seconds: opt.int('seconds of each run', { default: 10, min: 1 }),
    connections: opt.int('connections of the load', { default: 32, min: 1 }),
    gateway: opt.string("the gateway's main.js", { default: resolve(__dirname, '../../../../apps/gateway/dist/main.js'), defaultText: 'apps/gateway/dist/main.js', valueName: 'FILE' }),
    'node-args': opt.string('extra node flags for the gateway (--node-args=--cpu-prof)', { default: '', valueName: 'FLAGS' }),
  },
});
const port = Number(args.port);
const relayPort = port + 1;
const seconds = Number(args.seconds);

/** Answers every batch of the gateway 200, every event 202. */
function fakeRelay(): Promise<() => Promise<void>> {
  const server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { events } = JSON.parse(Buffer.concat(chunks).toString()) as { events: Array<{ id: string }> };
      const body = JSON.stringify({ results: events.map((e) => ({ id: e.id, status: 202 })) });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  return new Promise((ready) => server.listen(relayPort, '127.0.0.1', () => ready(() => new Promise((done) => server.close(() => done())))));
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

interface Run {
  readonly label: string;
  readonly requests: number;
  readonly accepted: number;
  readonly cpuMsPerRequest: number;
  readonly perSecond: number;
}

async function load(pid: number, label: string, options: { connections: number; overallRate?: number; duration: number }): Promise<Run> {
  const body = JSON.stringify(blackfridayScenario.sample(seededRandom(1)));
  const before = readProcess(pid);
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    duration: options.duration,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [{ method: 'POST', path: canonicalRoute(blackfridayScenario), headers: { 'content-type': 'application/json' }, body }],
  });
  const elapsed = (performance.now() - started) / 1000;
  const after = readProcess(pid);
  if (!before || !after) throw new Error('gateway process vanished');
  const requests = result.requests.total;
  const accepted = result['2xx'];
  return { label, requests, accepted, cpuMsPerRequest: ((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, requests), perSecond: requests / elapsed };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-cpu-'));
  const valkey = await startValkey({ port: relayPort + 1, fresh: true, reuse: false, dataDir: join(dir, 'valkey'), auth: { secretsFile: join(dir, 'valkey.env') } });
  const closeRelay = await fakeRelay();
  const nodeArgs = (args['node-args'] as string).split(' ').filter(Boolean);
  const gateway = spawn(process.execPath, [...nodeArgs, args.gateway], {
    env: {
      ...process.env,
      PORT: String(port),
      RELAY_URL: `http://127.0.0.1:${relayPort}`,
      VALKEY_URL: valkey.url,
      ...valkeyClientEnv(valkey.credentials!.gateway),
      SCENARIOS: 'blackfriday',
      LOG_LEVEL: 'warn',
      MAX_IN_FLIGHT: '100000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(`http://127.0.0.1:${port}/health/ready`);
    const pid = gateway.pid ?? 0;
    await load(pid, 'warm-up', { connections: Number(args.connections), overallRate: Number(args.rate), duration: 3 });
    const runs = [
      await load(pid, `offered ${args.rate}/s`, { connections: Number(args.connections), overallRate: Number(args.rate), duration: seconds }),
      await load(pid, `saturation, ${args.connections} connections`, { connections: Number(args.connections), duration: seconds }),
    ];
    process.stdout.write(`gateway alone (fake relay), load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}\n`);
    for (const run of runs) {
      process.stdout.write(`${run.label.padEnd(32)} ${run.perSecond.toFixed(0).padStart(6)} req/s  ${run.accepted}/${run.requests} accepted  ${run.cpuMsPerRequest.toFixed(3)} CPU-ms/request\n`);
    }
  } finally {
    gateway.kill('SIGTERM');
    await closeRelay();
    await valkey.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
