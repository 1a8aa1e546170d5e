import { randomUUID } from 'node:crypto';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { relayRoute, seededRandom, type AnyScenario } from '@oleada/scenarios';
import { EVENT_ID_HEADER } from '@oleada/shared';
import { Pool } from 'undici';
import { Samples, summarize, type LatencySummary } from '../measure/latency';
import { ProcessSampler } from '../measure/processes';
import { ChildServer } from '../servers/child';

export interface HopRow {
  readonly transport: 'REST (HTTP/1.1 + JSON)' | 'gRPC (HTTP/2 + protobuf)';
  readonly concurrency: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latency: LatencySummary;
  /** CPU per request, microseconds: the caller (this process) and the server process. */
  readonly clientCpuUs: number;
  readonly serverCpuUs: number;
  /** Bytes of the request body on the wire (JSON text, protobuf encoding). */
  readonly payloadBytes: number;
}

export interface HopOptions {
  readonly scenario: AnyScenario;
  readonly restPort: number;
  readonly grpcPort: number;
  readonly seconds: number;
  /** Calls in flight at once, as the gateway's keep-alive pool allows. @default 64 */
  readonly concurrency?: number;
  readonly log: (message: string) => void;
}

/** Runs `call` from `concurrency` loops for `seconds`, measuring each call and the CPU of both sides. */
async function closedLoop(call: () => Promise<void>, concurrency: number, seconds: number, serverPid: number) {
  const latencies = new Samples();
  const sampler = new ProcessSampler([
    { name: 'client', pid: process.pid },
    { name: 'server', pid: serverPid },
  ]);
  // Warm both sides (JIT, connections) before measuring.
  const warmUntil = performance.now() + 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < warmUntil) await call();
  }));
  sampler.start();
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await call();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const usage = sampler.stop(latencies.length);
  const cpuUs = (name: string) => (usage.find((u) => u.name === name)?.cpuMsPerEvent ?? Number.NaN) * 1000;
  return { requests: latencies.length, requestsPerSecond: latencies.length / elapsed, latency: summarize(latencies.values()), clientCpuUs: cpuUs('client'), serverCpuUs: cpuUs('server') };
}

/**
 * The REST hop (gateway → relay) against the gRPC hop (relay → writer), each alone: the same
 * event, the same concurrency, a server that only decodes and answers, and a client configured as
 * the real hop's client is (undici keep-alive pool; one grpc-js channel with the event id in
 * metadata). What remains is the cost of the transport and its encoding.
 */
export async function compareHops(options: HopOptions): Promise<HopRow[]> {
  const { scenario } = options;
  const concurrency = options.concurrency ?? 64;
  const body = scenario.sample(seededRandom(3));
  const json = JSON.stringify(body);
  const message = scenario.toMessage(body);
  const rows: HopRow[] = [];

  const rest = await ChildServer.start('hop-server', ['rest', String(options.restPort), scenario.name]);
  try {
    const pool = new Pool(`http://127.0.0.1:${options.restPort}`, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
    const call = async () => {
      const response = await pool.request({
        path: relayRoute(scenario),
        method: 'POST',
        headers: { 'content-type': 'application/json', [EVENT_ID_HEADER]: randomUUID() },
        body: json,
      });
      await response.body.dump();
      if (response.statusCode !== 202) throw new Error(`REST hop server answered ${response.statusCode}`);
    };
    const measured = await closedLoop(call, concurrency, options.seconds, rest.pid);
    await pool.close();
    rows.push({ transport: 'REST (HTTP/1.1 + JSON)', concurrency, payloadBytes: Buffer.byteLength(json), ...measured });
  } finally {
    await rest.stop();
  }

  const grpc = await ChildServer.start('hop-server', ['grpc', String(options.grpcPort), scenario.name]);
  try {
    const client = new Client(`127.0.0.1:${options.grpcPort}`, credentials.createInsecure());
    const method = scenario.grpc.service[scenario.grpc.method];
    const call = () =>
      new Promise<void>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set(EVENT_ID_HEADER, randomUUID());
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, message, metadata, { deadline: Date.now() + 5000 }, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    const measured = await closedLoop(call, concurrency, options.seconds, grpc.pid);
    client.close();
    rows.push({ transport: 'gRPC (HTTP/2 + protobuf)', concurrency, payloadBytes: scenario.encode(message).length, ...measured });
  } finally {
    await grpc.stop();
  }
  for (const row of rows) {
    options.log(
      `${row.transport}: ${row.requestsPerSecond.toFixed(0)} req/s at ${concurrency} in flight, p50 ${row.latency.p50.toFixed(2)} ms p99 ${row.latency.p99.toFixed(2)} ms, ` +
        `CPU/request client ${row.clientCpuUs.toFixed(0)} µs server ${row.serverCpuUs.toFixed(0)} µs`,
    );
  }
  return rows;
}
