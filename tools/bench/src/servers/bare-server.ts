/**
 * The single-hop upper bound: a bare Node HTTP server that reads the body and answers 202 with an
 * id, as the gateway does, and nothing else. Run as its own process:
 *   node tools/bench/dist/servers/bare-server.js <port>
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: bare-server.js <port>\n');
  process.exit(64);
}

const server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
  request.resume();
  request.on('end', () => {
    const body = JSON.stringify({ id: randomUUID() });
    response.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
