import type { FastifyInstance, FastifyReply } from 'fastify';
import secureJson from 'secure-json-parse';
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
  // Callback style, not async: no promise per answer on every hop's hottest path.
  instance.addHook('onSend', (_request, reply, payload, done) => {
    void reply.headers(SECURITY_HEADERS);
    reply.removeHeader('x-powered-by');
    done(null, payload);
  });
}

/**
 * Key of a route's Fastify config (`@RouteConfig({ [BODY_LIMIT]: bytes })`): the route's own body
 * limit, which Nest's route decorators cannot set (installRouteBodyLimits applies it).
 */
export const BODY_LIMIT = 'oleadaBodyLimit';

/** Gives every route registered from now on whose config carries BODY_LIMIT that body limit. */
export function installRouteBodyLimits(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT];
    if (typeof limit === 'number') route.bodyLimit = limit;
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
 * Strict JSON for an instance: prototype-poisoning keys are refused (never merged), and the error
 * names the key; every other content type is refused (415). Bodies are parsed from a string whose
 * size Fastify already bounded (the route's bodyLimit). Errors carry Fastify's codes, which
 * requestErrorException (error-shape.ts) turns into the one error shape.
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
      else done(Object.assign(new Error('body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), undefined);
    }
  });
}
