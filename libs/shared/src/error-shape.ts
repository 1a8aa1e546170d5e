import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { Catch, HttpException, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ErrorBody } from './errors';
import { ForbiddenKeyError, SECURITY_HEADERS, sendError } from './http';

/** Methods a route may be registered for; a 405 lists those the path has. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** `Not Found` → `not_found`: the `error` of an answer for a bare status. */
function errorName(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '_');
}

/**
 * An answer in the one error shape, thrown by a controller, pipe or guard (or made from a request
 * error by requestErrorException); ErrorShapeFilter sends it as it is.
 */
export class ErrorShapeException<B extends ErrorBody = ErrorBody> extends HttpException {
  constructor(
    status: number,
    readonly body: B,
    /** Sent as `Retry-After` (seconds): the client may retry then. */
    readonly retryAfterSeconds?: number,
  ) {
    super(body, status);
  }
}

/**
 * Fastify's own request errors (body parsing, limits, content type) as answers naming the culprit,
 * or undefined for anything else. Called on the error before Nest sees it (ShapedFastifyAdapter),
 * because Nest turns a FastifyError into a bare HttpException and drops its code.
 */
export function requestErrorException(error: unknown): ErrorShapeException | undefined {
  if (error instanceof ForbiddenKeyError) return new ErrorShapeException(400, { error: 'forbidden_key', message: error.message, field: error.key });
  switch ((error as Partial<FastifyError> | undefined)?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ErrorShapeException(413, { error: 'payload_too_large', message: 'request body exceeds the size limit', field: '(body)' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ErrorShapeException(415, { error: 'unsupported_media_type', message: 'send application/json', field: 'content-type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ErrorShapeException(400, { error: 'malformed_json', message: 'request body is empty', field: '(body)' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ErrorShapeException(400, { error: 'bad_request', message: 'content-length does not match the body', field: 'content-length' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ErrorShapeException(400, { error: 'malformed_json', message: 'body is not valid JSON', field: '(body)' });
  }
  if (error instanceof SyntaxError) return new ErrorShapeException(400, { error: 'malformed_json', message: 'body is not valid JSON', field: '(body)' });
  return undefined;
}

/**
 * Every answer that Nest or Fastify would otherwise shape themselves — an unknown path, a wrong
 * method, an HttpException from a controller, pipe or guard, a request Fastify could not read,
 * anything unexpected — in the one error shape (`{ error, message, field }`). Unknown path: 404; a
 * known path with another method: 405 with `Allow`. The one path every error answer takes; only
 * the gateway's admission hooks (429, 503, before the body is read) answer on their own.
 */
@Catch()
export class ErrorShapeFilter implements ExceptionFilter {
  constructor(
    private readonly fastify: FastifyInstance,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof ErrorShapeException) {
      sendError(reply, exception.getStatus(), exception.body, exception.retryAfterSeconds);
      return;
    }
    if (exception instanceof NotFoundException) {
      const path = request.url.split('?')[0];
      const allowed = METHODS.filter((method) => this.fastify.findRoute({ method, url: path }) !== null);
      if (allowed.length > 0) {
        void reply.header('Allow', allowed.join(', '));
        sendError(reply, 405, { error: 'method_not_allowed', message: `${request.method} is not served on ${path}: use ${allowed.join(', ')}`, field: '(method)' });
        return;
      }
      sendError(reply, 404, { error: 'not_found', message: `no route ${request.method} ${path}`, field: '(path)' });
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      sendError(reply, status, { error: errorName(status), message: exception.message });
      return;
    }
    this.logger.error({ err: exception, url: request.url }, 'unhandled error');
    sendError(reply, 500, { error: 'internal', message: 'internal error' });
  }
}

/** The raw answer for a request Node could not even parse, in the one error shape. */
function rawAnswer(status: number, body: ErrorBody): string {
  const json = JSON.stringify(body);
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n${headers}\r\n${json}`;
}

/**
 * Fastify's `clientErrorHandler`: what a client gets when its request cannot be parsed at all
 * (malformed framing: 400), its headers are too large (431), or it did not arrive in time (408).
 * Then the socket is closed, as Node does.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let answer: string;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answer = rawAnswer(408, { error: 'request_timeout', message: 'the request did not arrive in time', field: '(request)' });
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    answer = rawAnswer(431, { error: 'headers_too_large', message: 'request headers exceed the size limit', field: '(headers)' });
  } else {
    answer = rawAnswer(400, { error: 'bad_request', message: 'malformed HTTP request', field: '(request)' });
  }
  if (socket.writable) socket.write(answer);
  socket.destroy(error);
}
