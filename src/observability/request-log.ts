import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Short and printable: what a proxy or a client generates. Anything else is replaced, never logged. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_LOGGED_PATH = 256;

/** The request's `X-Request-Id` when it is a sane token ([A-Za-z0-9._-], 1 to 128 characters), else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export interface RequestLogOptions {
  /** Paths whose access lines are logged at `debug` rather than `info`: health checks and scrapes. */
  quietPaths?: ReadonlySet<string>;
}

/**
 * Starts the log of one HTTP request: gives it an id (`requestIdOf`), echoed in the
 * `X-Request-Id` response header, and returns a child of `logger` carrying `requestId`, for
 * everything logged while serving it. When the response ends, logs one access line: method,
 * path (without the query string, which may carry variables), status and duration; never a
 * header or a body.
 */
export function startRequestLog(req: IncomingMessage, res: ServerResponse, logger: Logger, options: RequestLogOptions = {}): Logger {
  const requestId = requestIdOf(req);
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const log = logger.child({ requestId });
  const start = process.hrtime.bigint();
  res.once('close', () => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = (query === -1 ? url : url.slice(0, query)).slice(0, MAX_LOGGED_PATH);
    const line = {
      method: req.method,
      path,
      status: res.statusCode,
      durationMs: Math.round(Number(process.hrtime.bigint() - start) / 1e3) / 1e3,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (options.quietPaths?.has(path)) log.debug(line, 'request completed');
    else log.info(line, 'request completed');
  });
  return log;
}
