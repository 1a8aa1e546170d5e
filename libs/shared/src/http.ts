import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { Logger } from 'pino';
import type { ZodError } from 'zod';
import type { ErrorBody } from './errors';

/**
 * Headers on every answer of a public HTTP server: nothing is sniffed, framed, cached, referred or
 * allowed to load anything (the answers are JSON, never a page).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Adds SECURITY_HEADERS to every answer of `instance` and everything registered in it: routes,
 * 404s, errors and answers sent early from hooks (all pass through onSend). Call it on the root
 * instance, before it is ready.
 */
export function installSecurityHeaders(instance: FastifyInstance): void {
  instance.addHook('onSend', async (_request, reply, payload) => {
    void reply.headers(SECURITY_HEADERS);
    reply.removeHeader('x-powered-by');
    return payload;
  });
}

/** Sends the JSON error body every REST hop uses. */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody, retryAfterSeconds?: number): FastifyReply {
  if (retryAfterSeconds !== undefined) void reply.header('Retry-After', String(retryAfterSeconds));
  return reply.code(status).type('application/json').send(body);
}

/** `precio`, `[3].categoria`, … from a zod issue path. */
export function fieldPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out === '' ? '(body)' : out;
}

/** Every problem of a failed validation, the first one also as `field`. */
export function validationError(error: ZodError, prefix = ''): ErrorBody {
  const details = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldPath([...issue.path, key], prefix), message: 'is not an accepted field' }));
    }
    return [{ field: fieldPath(issue.path, prefix), message: issue.message }];
  });
  return { error: 'invalid_event', message: `${details[0].field}: ${details[0].message}`, field: details[0].field, details };
}

/** A JSON body that tries to set `__proto__` or `constructor.prototype`. */
export class ForbiddenKeyError extends Error {
  readonly statusCode = 400;
  constructor(readonly key: string) {
    super(`body contains the forbidden key ${key}`);
    this.name = 'ForbiddenKeyError';
  }
}

/**
 * Strict JSON for a scope: prototype-poisoning keys are refused (never merged), and the error
 * names the key. Bodies are parsed from a string whose size Fastify already bounded.
 */
export function installStrictJsonParser(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.length === 0) {
      done(Object.assign(new Error('empty body'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const message = (error as Error).message;
      if (/prototype/i.test(message)) done(new ForbiddenKeyError(/"constructor"\s*:/.test(text) && !/"__proto__"\s*:/.test(text) ? 'constructor' : '__proto__'), undefined);
      else done(Object.assign(new SyntaxError('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
}

/**
 * Maps Fastify's own request errors (body parsing, limits, content type) to JSON errors naming the
 * culprit. Anything unexpected is a 500 that reveals no internals.
 */
export function installErrorHandler(scope: FastifyInstance, logger: Logger): void {
  scope.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, { error: 'payload_too_large', message: 'request body exceeds the size limit', field: '(body)' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, { error: 'unsupported_media_type', message: 'send application/json', field: 'content-type' });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, { error: 'malformed_json', message: 'request body is empty', field: '(body)' });
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, 400, { error: 'bad_request', message: 'content-length does not match the body', field: 'content-length' });
    }
    if (error instanceof ForbiddenKeyError) {
      return sendError(reply, 400, { error: 'forbidden_key', message: error.message, field: error.key });
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return sendError(reply, 400, { error: 'malformed_json', message: 'body is not valid JSON', field: '(body)' });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) return sendError(reply, status, { error: 'bad_request', message: error.message });
    logger.error({ err: error, url: request.url }, 'unhandled error');
    return sendError(reply, 500, { error: 'internal', message: 'internal error' });
  });
}
