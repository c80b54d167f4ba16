import { ServiceUnavailableError } from '../errors.js';

/** What a client is told; the cause (host, port, driver text) stays in the logs. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable right now; try again shortly.';

/** The network failing under the driver: nobody answers, or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is going away, starting, overloaded or timed out: class 08
 * (connection exception) and 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
 * now, 53300 too many connections, 57014 query canceled (our `statement_timeout`).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/**
 * What pg, knex and tarn say when a connection dies or cannot be had in time; they give no code.
 * Knex puts the query first (`select ... - Connection terminated unexpectedly`); MikroORM wraps
 * the error in a `DriverException` that keeps the message and the code.
 */
const DRIVER_MESSAGES = [
  /(?:^| - )Connection terminated/, // pg: the server closed the connection, or connectionTimeoutMillis passed
  /(?:^| - )Client has encountered a connection error and is not queryable/, // pg: a client that already lost it
  /(?:^| - )Client was closed and is not queryable/,
  /^Knex: Timeout acquiring a connection/, // knex: the pool's acquire timeout
  /^Unable to acquire a connection/, // knex: the pool is being destroyed
  /^timeout exceeded when trying to connect/, // pg-pool
  // knex: the connection of a transaction broke at its COMMIT; the rollback MikroORM then tries
  // fails with this, hiding the connection error. (A COMMIT fails otherwise only on deferred
  // constraints or serializable isolation, which the identity service does not use.)
  /^Transaction query already complete/,
];

function matches(error: object): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether `error` says that the database cannot be reached or used right now (rather than that a
 * query is wrong): it, its `cause` chain, or one of an `AggregateError`'s errors (a host name
 * with several addresses) matches.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    if (matches(next)) return true;
    pending.push((next as { cause?: unknown }).cause);
    if (next instanceof AggregateError) pending.push(...next.errors);
  }
  return false;
}

/**
 * The one place where database errors are classified: a `ServiceUnavailableError` (HTTP 503,
 * `SERVICE_UNAVAILABLE`) for one that says the database is unreachable, `null` for any other.
 */
export function databaseUnavailableError(error: unknown): ServiceUnavailableError | null {
  if (error instanceof ServiceUnavailableError) return error;
  return isDatabaseUnavailable(error) ? new ServiceUnavailableError(DATABASE_UNAVAILABLE_MESSAGE, { cause: error }) : null;
}
