/**
 * One side of the REST-versus-gRPC micro-benchmark, run as its own process so its CPU is measured
 * apart from the client's:
 *   node tools/bench/dist/servers/hop-server.js rest <port> <scenario>   Fastify, JSON body, answers 202
 *   node tools/bench/dist/servers/hop-server.js grpc <port> <scenario>   grpc-js, the scenario's service
 * Both only decode what they receive and answer, so the difference is the transport and its framing.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { getScenario, relayRoute } from '@oleada/scenarios';
import Fastify from 'fastify';

async function main(): Promise<void> {
  const [kind, portText, scenarioName] = process.argv.slice(2);
  const port = Number(portText);
  const scenario = getScenario(scenarioName ?? 'blackfriday');
  if (kind === 'rest') {
    const app = Fastify({ logger: false, keepAliveTimeout: 30_000 });
    app.post(relayRoute(scenario), async (_request, reply) => reply.code(202).send({ id: 'ok' }));
    await app.listen({ port, host: '127.0.0.1' });
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
  } else if (kind === 'grpc') {
    const server = new Server({ 'grpc.max_concurrent_streams': 1000 });
    server.addService(scenario.grpc.service, {
      [scenario.grpc.method]: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback(null, scenario.acceptedResponse('ok')),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );
    process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
  } else {
    throw new Error('usage: hop-server.js rest|grpc <port> [scenario]');
  }
  process.stdout.write(`listening ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`hop-server: ${(error as Error).message}\n`);
  process.exit(1);
});
