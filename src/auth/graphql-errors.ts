import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { databaseUnavailableError } from '../lib/database-unavailable.js';
import { AuthenticationError, ForbiddenError, InputError, ServiceUnavailableError, SsoError, TooManyRequestsError } from '../errors.js';

export interface ToGraphQLErrorOptions {
  /** The whole request is refused: carry HTTP 401/403 (and `WWW-Authenticate`). */
  refuseRequest?: boolean;
  /** The `Authorization` scheme, for the `WWW-Authenticate` challenge. */
  scheme?: string;
}

/**
 * The one boundary between our errors and GraphQL: authentication failures become
 * `UNAUTHENTICATED`, missing permissions `FORBIDDEN`, bad input `BAD_USER_INPUT`, throttled
 * logins `TOO_MANY_REQUESTS` with `extensions.retryAfter` (seconds), an unreachable database (a
 * driver error, classified by `databaseUnavailableError`) `SERVICE_UNAVAILABLE`, an `INTERNAL`
 * error (a `HookError`: a user's hook failed unexpectedly) `INTERNAL_SERVER_ERROR` with its
 * generic message, never its cause's; the stable `SsoError` code travels as `extensions.reason`.
 * Anything else is returned unchanged.
 */
export function toGraphQLError(raw: unknown, options: ToGraphQLErrorOptions = {}): GraphQLError {
  if (raw instanceof GraphQLError) return raw;
  const error = raw instanceof SsoError ? raw : (databaseUnavailableError(raw) ?? raw);
  if (!(error instanceof SsoError)) {
    return new GraphQLError(error instanceof Error ? error.message : String(error), {
      originalError: error instanceof Error ? error : undefined,
    });
  }
  let code: string;
  let status: number | undefined;
  const headers = new Map<string, string>();
  if (error instanceof AuthenticationError) {
    code = 'UNAUTHENTICATED';
    status = 401;
    headers.set('www-authenticate', `${options.scheme ?? 'JWT'} realm="api"`);
  } else if (error instanceof ForbiddenError) {
    code = 'FORBIDDEN';
    status = 403;
  } else if (error instanceof ServiceUnavailableError) {
    code = 'SERVICE_UNAVAILABLE';
    status = 503;
  } else if (error instanceof InputError) {
    code = 'BAD_USER_INPUT';
    status = 400;
  } else if (error instanceof TooManyRequestsError) {
    code = 'TOO_MANY_REQUESTS';
    status = 429;
    headers.set('retry-after', String(error.retryAfter));
  } else if (error.code === 'INTERNAL') {
    code = 'INTERNAL_SERVER_ERROR';
    status = 500;
  } else {
    return new GraphQLError(error.message, { originalError: error });
  }
  // Apollo Server reads `http.headers` as a Map; typed loosely because other GraphQL servers'
  // declarations (GraphQL Yoga's, in the benchmarks) augment the extension type with a record.
  const extensions: Record<string, unknown> = { code, reason: error.code };
  if (error instanceof TooManyRequestsError) extensions.retryAfter = error.retryAfter;
  if (options.refuseRequest) extensions.http = { status, headers };
  return new GraphQLError(error.message, { originalError: error, extensions });
}

/**
 * Apollo Server `formatError`: maps `SsoError`s thrown by resolvers (e.g. wrong credentials) to
 * their GraphQL codes, without stack traces; a `HookError` (a hook or policy that failed
 * unexpectedly) becomes `INTERNAL_SERVER_ERROR` `Internal server error.`, its cause left to the
 * logs (`errorLogPlugin`). Other errors keep Apollo's formatting.
 */
export function formatSsoError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  // As `unwrapResolverError` of `@apollo/server/errors` does; this module works without Apollo Server.
  const original = error instanceof GraphQLError && error.path && error.originalError ? error.originalError : error;
  const cause = original instanceof GraphQLError ? original.originalError : original;
  const ssoError = cause instanceof SsoError ? cause : (databaseUnavailableError(cause) ?? undefined);
  if (!(ssoError instanceof SsoError)) return formatted;
  const { extensions } = toGraphQLError(ssoError);
  if (extensions.code === undefined) return formatted;
  const { code, reason, retryAfter } = extensions;
  return { ...formatted, message: ssoError.message, extensions: retryAfter === undefined ? { code, reason } : { code, reason, retryAfter } };
}
