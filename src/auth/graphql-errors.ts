import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { normalizeError, type NormalizedError } from '../lib/normalize-error.js';

export interface ToGraphQLErrorOptions {
  /** The whole request is refused: carry HTTP 401/403 (and `WWW-Authenticate`). */
  refuseRequest?: boolean;
  /** The `Authorization` scheme, for the `WWW-Authenticate` challenge. */
  scheme?: string;
}

/** `extensions` of a GraphQL answer: the code, the `SsoError` code as `reason`, and `retryAfter` (seconds) if throttled. */
function extensionsOf({ code, reason, retryAfter }: NormalizedError): Record<string, unknown> {
  return retryAfter === undefined ? { code, reason } : { code, reason, retryAfter };
}

/**
 * Our errors as GraphQL errors, shaped from `normalizeError`: its code in `extensions.code`, the
 * `SsoError` code in `extensions.reason`, `extensions.retryAfter` for a throttled login, its
 * message (for a `HookError` and any `SsoError` that is no refusal, `Internal server error.`).
 * With `refuseRequest`, `extensions.http` carries the status and headers for Apollo Server.
 * A `GraphQLError` is returned as it is; an error that is neither ours nor a database outage
 * becomes a plain `GraphQLError`, left to Apollo Server's handling.
 */
export function toGraphQLError(raw: unknown, options: ToGraphQLErrorOptions = {}): GraphQLError {
  if (raw instanceof GraphQLError) return raw;
  const normalized = normalizeError(raw, { scheme: options.scheme });
  if (!normalized.error) {
    return new GraphQLError(raw instanceof Error ? raw.message : String(raw), { originalError: raw instanceof Error ? raw : undefined });
  }
  // Apollo Server reads `http.headers` as a Map; typed loosely because other GraphQL servers'
  // declarations (GraphQL Yoga's, in the benchmarks) augment the extension type with a record.
  const extensions = extensionsOf(normalized);
  if (options.refuseRequest) extensions.http = { status: normalized.status, headers: new Map(Object.entries(normalized.headers)) };
  return new GraphQLError(normalized.message, { originalError: normalized.error, extensions });
}

/**
 * Apollo Server `formatError`: an `SsoError` a resolver threw (e.g. wrong credentials), or a
 * database outage, answered as `normalizeError` says, without stack traces; a `HookError` (a hook
 * or policy that failed unexpectedly) becomes `INTERNAL_SERVER_ERROR` `Internal server error.`,
 * its cause left to the logs (`errorLogPlugin`). Other errors keep Apollo's formatting.
 */
export function formatSsoError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  // As `unwrapResolverError` of `@apollo/server/errors` does; this module works without Apollo Server.
  const original = error instanceof GraphQLError && error.path && error.originalError ? error.originalError : error;
  const cause = original instanceof GraphQLError ? original.originalError : original;
  const normalized = normalizeError(cause);
  if (!normalized.error) return formatted;
  return { ...formatted, message: normalized.message, extensions: extensionsOf(normalized) };
}
