import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

const REQUEST_ID_HEADER = 'x-request-id';
/** Short and printable: what a proxy or a client generates. Anything else is replaced, never logged. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_LOGGED_PATH = 256;

export interface RequestLogOptions {
  /** Paths whose access lines are logged at `debug` rather than `info`: health checks and scrapes. */
  quietPaths?: Iterable<string>;
}

/** The request's `X-Request-Id` when it is a sane token ([A-Za-z0-9._-], 1 to 128 characters), else a new UUID; echoed in the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The path as the client sent it (a framework may rewrite `url` while routing), without the query string, which may carry variables. */
function pathOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return (query === -1 ? url : url.slice(0, query)).slice(0, MAX_LOGGED_PATH);
}

/**
 * The access log of a service, by pino-http: call the result with each request and its
 * response (as `node:http` middleware, `(req, res, next)`, or from a context function) and it
 *
 * - gives the request an id: its `X-Request-Id` when that is 1 to 128 characters of
 *   `[A-Za-z0-9._-]`, else a new UUID; the response echoes it in `X-Request-Id`;
 * - sets `req.log`, a child of `logger` carrying `requestId`, for everything logged while serving
 *   it (the identity service's resolvers get it as `ctx.logger`; pass it to `createSsoContext`);
 * - when the response is done, logs one line, `request completed`, at `info` (`debug` for
 *   `quietPaths`), with the method, the path without its query string, the status and
 *   `durationMs` (milliseconds), and `aborted: true` if the client left before the answer was
 *   complete — never a header or a body.
 */
export function createRequestLog(logger: Logger, options: RequestLogOptions = {}): HttpLogger {
  const quiet = new Set(options.quietPaths ?? []);
  const accessLine = (req: IncomingMessage, res: ServerResponse, value: { durationMs: number }) => ({
    method: req.method,
    path: pathOf(req),
    status: res.statusCode,
    durationMs: value.durationMs,
    ...(res.writableEnded ? {} : { aborted: true }),
  });
  return pinoHttp({
    logger,
    genReqId: requestId,
    // Only the id is bound to the request's logger, and the access line is ours: pino-http's
    // default `req` and `res` objects would carry every header, `authorization` and `cookie` too.
    quietReqLogger: true,
    quietResLogger: true,
    // pino-http still binds the request to a second logger that the quiet options leave unused,
    // serializing (and redacting) every header for it: about 7 of its 27 µs per request, measured.
    // Its loggers serialize no request object, which also keeps headers out of `req.log.info({ req })`.
    wrapSerializers: false,
    serializers: { req: () => undefined },
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    customLogLevel: (req) => (quiet.has(pathOf(req)) ? 'debug' : 'info'),
    customSuccessObject: accessLine,
    // A 5xx is an answer like any other here; its error, if any, is logged where it was answered.
    customErrorObject: (req, res, _error, value) => accessLine(req, res, value),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request completed',
  });
}
