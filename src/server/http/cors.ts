import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name';

/**
 * CORS for the origins of `corsOrigins`, an exact list: a request from one of them gets
 * `Access-Control-Allow-Origin` naming it (never `*`, since the service accepts `Authorization`),
 * and its preflight is answered 204 here. Requests from any other origin get no CORS header, so
 * the browser keeps their answers from the page. No credentials mode: the token travels in a
 * header the page sets, never in a cookie.
 */
export function corsHook(origins: readonly string[]) {
  const allowed = new Set(origins);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      await reply
        .code(204)
        .headers({
          'access-control-allow-methods': ALLOWED_METHODS,
          'access-control-allow-headers': ALLOWED_HEADERS,
          'access-control-max-age': '600',
        })
        .send();
    }
  };
}
