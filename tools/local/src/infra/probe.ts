import { Socket, createConnection } from 'node:net';

/** What a TCP port on 127.0.0.1 turned out to be. */
export type ProbeResult =
  | { state: 'closed' } // connection refused: nothing listens
  | { state: 'expected'; detail?: string } // the protocol we wanted answered
  | { state: 'foreign'; detail: string }; // something listens but does not speak the protocol

const HOST = '127.0.0.1';

/**
 * Connects, writes `request`, and feeds the bytes received to `parse` until it returns a verdict
 * (or the socket closes / times out). `parse` returns undefined while it needs more bytes.
 */
function exchange(
  port: number,
  request: Buffer,
  parse: (buf: Buffer) => ProbeResult | undefined,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolvePromise) => {
    let done = false;
    let buf = Buffer.alloc(0);
    let connected = false;
    const socket: Socket = createConnection({ host: HOST, port });
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(r);
    };
    const timer = setTimeout(
      () =>
        finish(
          connected
            ? { state: 'foreign', detail: `port ${port} accepted a connection but gave no valid answer in ${timeoutMs} ms` }
            : { state: 'foreign', detail: `port ${port}: connect timed out after ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    socket.once('connect', () => {
      connected = true;
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const r = parse(buf);
      if (r) finish(r);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) finish({ state: 'closed' });
      else finish({ state: 'foreign', detail: `port ${port}: ${err.code ?? err.message}` });
    });
    socket.once('close', () => {
      if (!connected) finish({ state: 'closed' });
      else finish({ state: 'foreign', detail: `port ${port} closed the connection without a valid answer` });
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host: HOST, port });
    const finish = (open: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(open);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Valkey / Redis: RESP

function encodeResp(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Parses one RESP reply (simple string, error, integer or bulk string); undefined if incomplete. */
function parseRespReply(buf: Buffer): { type: '+' | '-' | ':' | '$'; value: string | null } | 'invalid' | undefined {
  if (buf.length === 0) return undefined;
  const type = String.fromCharCode(buf[0]!);
  if (!'+-:$*'.includes(type)) return 'invalid';
  const eol = buf.indexOf('\r\n');
  if (eol < 0) return buf.length > 4096 ? 'invalid' : undefined;
  const line = buf.subarray(1, eol).toString('utf8');
  if (type === '+' || type === '-' || type === ':') return { type, value: line };
  if (type === '$') {
    const len = Number(line);
    if (!Number.isInteger(len)) return 'invalid';
    if (len < 0) return { type: '$', value: null };
    if (buf.length < eol + 2 + len + 2) return undefined;
    return { type: '$', value: buf.subarray(eol + 2, eol + 2 + len).toString('utf8') };
  }
  return 'invalid';
}

/** Sends one command and returns the raw reply; throws if the port does not speak RESP. */
export async function respCommand(port: number, args: string[], timeoutMs = 2000): Promise<{ type: string; value: string | null }> {
  let reply: { type: '+' | '-' | ':' | '$'; value: string | null } | undefined;
  const r = await exchange(
    port,
    encodeResp(args),
    (buf) => {
      const p = parseRespReply(buf);
      if (p === undefined) return undefined;
      if (p === 'invalid') return { state: 'foreign', detail: `port ${port} does not speak RESP` };
      reply = p;
      return { state: 'expected' };
    },
    timeoutMs,
  );
  if (r.state === 'closed') throw new Error(`nothing listens on 127.0.0.1:${port}`);
  if (r.state === 'foreign' || !reply) throw new Error(r.state === 'foreign' ? r.detail : `no reply on port ${port}`);
  return reply;
}

/**
 * Valkey/Redis PING: 'expected' on +PONG; 'foreign' for anything else (including a Redis-like
 * server that answers -NOAUTH or -LOADING, with the reply in `detail`).
 */
export async function probeValkey(port: number, timeoutMs = 1500): Promise<ProbeResult> {
  return exchange(
    port,
    encodeResp(['PING']),
    (buf) => {
      const p = parseRespReply(buf);
      if (p === undefined) return undefined;
      if (p === 'invalid') return { state: 'foreign', detail: `port ${port} answered, but not with the Redis protocol (RESP)` };
      if (p.type === '+' && p.value === 'PONG') return { state: 'expected' };
      return { state: 'foreign', detail: `port ${port} speaks RESP but PING answered ${p.type}${p.value ?? ''}` };
    },
    timeoutMs,
  );
}

// ---------------------------------------------------------------------------------------------
// Kafka: ApiVersions v0 (the request every client sends first; all brokers answer it)

const API_VERSIONS_KEY = 18;
const CORRELATION_ID = 0x0ae1ada;

function apiVersionsRequest(): Buffer {
  const clientId = Buffer.from('oleada-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  let o = 0;
  o = body.writeInt16BE(API_VERSIONS_KEY, o);
  o = body.writeInt16BE(0, o); // version 0
  o = body.writeInt32BE(CORRELATION_ID, o);
  o = body.writeInt16BE(clientId.length, o);
  clientId.copy(body, o);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/**
 * 'expected' when the port answers a Kafka ApiVersions request (detail: error code and the
 * number of APIs the broker lists), 'foreign' when it answers anything else.
 */
export async function probeKafkaProtocol(port: number, timeoutMs = 2000): Promise<ProbeResult> {
  return exchange(
    port,
    apiVersionsRequest(),
    (buf) => {
      if (buf.length < 4) return undefined;
      const size = buf.readInt32BE(0);
      if (size < 6 || size > 1 << 20) return { state: 'foreign', detail: `port ${port} does not speak the Kafka protocol` };
      if (buf.length < 4 + size) return undefined;
      const correlation = buf.readInt32BE(4);
      if (correlation !== CORRELATION_ID) return { state: 'foreign', detail: `port ${port} does not speak the Kafka protocol` };
      const errorCode = buf.readInt16BE(8);
      const apis = size >= 10 ? buf.readInt32BE(10) : 0;
      // 0 = none; 35 = UNSUPPORTED_VERSION (still a Kafka broker, listing what it supports)
      if (errorCode !== 0 && errorCode !== 35) return { state: 'foreign', detail: `Kafka ApiVersions error ${errorCode} on port ${port}` };
      return { state: 'expected', detail: `ApiVersions error=${errorCode} apis=${apis}` };
    },
    timeoutMs,
  );
}
