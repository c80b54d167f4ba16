import { createServer, type Server } from 'node:http';
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { serverErrorLog } from '../../lib/hooks.js';
import { normalizeError, type NormalizedError } from '../../lib/normalize-error.js';
import { createRequestLog } from '../../observability/request-log.js';
import { requestErrorOf } from './request-errors.js';

export interface HttpAppOptions {
  logger: Logger;
  /** `limits.maxBodyBytes`: Fastify's `bodyLimit` for every route. */
  maxBodyBytes: number;
  /** `authenticateHeader`, for the `WWW-Authenticate` challenge. */
  scheme: string;
  /** Paths whose access lines are logged at `debug` (`createRequestLog`). */
  quietPaths: Iterable<string>;
}

export interface HttpApp {
  app: FastifyInstance;
  /** The `node:http` server Fastify serves on: `listen` it, drain it, name the worker on it. */
  server: Server;
}

/** `{"errors": [{"message", "extensions": {"code", "reason"}}]}`: what GraphQL clients read, from any route. */
function plainErrorBody({ message, code, reason, retryAfter }: NormalizedError): Record<string, unknown> {
  const extensions = { code, ...(reason === undefined ? {} : { reason }), ...(retryAfter === undefined ? {} : { retryAfter }) };
  return { errors: [{ message, extensions }] };
}

/**
 * Fastify for the identity service, on a `node:http` server of its own making so that every
 * request — a route's, a 404, one Fastify refuses before routing — first passes the access log
 * (`createRequestLog`: its id, `req.log`, its line). Fastify's own logger stays off. Errors that no
 * route answers itself are answered here, as `normalizeError` decides, in `plainErrorBody`'s
 * shape; a server error is logged with the request's logger (its access line tells the method
 * and path). Anything else is a 404 naming the GraphQL endpoint.
 */
export function createHttpApp({ logger, maxBodyBytes, scheme, quietPaths }: HttpAppOptions): HttpApp {
  const requestLog = createRequestLog(logger, { quietPaths });
  let server: Server | undefined;
  const answerError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const normalized = normalizeError(requestErrorOf(error, maxBodyBytes), { scheme });
    if (normalized.internal) request.raw.log.error(serverErrorLog(error), 'request failed');
    return reply.code(normalized.status).headers(normalized.headers).send(plainErrorBody(normalized));
  };
  const app = fastify({
    serverFactory: (handler) =>
      (server = createServer((req, res) => {
        requestLog(req, res);
        handler(req, res);
      })),
    bodyLimit: maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: answerError,
  });
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const path = new URL(request.url, 'http://localhost').pathname;
    return reply.code(404).send({ error: `Not found: ${request.method} ${path}. GraphQL is served at /graphql.` });
  });
  return { app, server: server! };
}
