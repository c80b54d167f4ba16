import { databaseUnavailableError } from './database-unavailable.js';
import {
  AuthenticationError,
  ForbiddenError,
  INTERNAL_ERROR_MESSAGE,
  InputError,
  RequestError,
  ServiceUnavailableError,
  SsoError,
  TooManyRequestsError,
} from '../errors.js';

/** The codes a client is answered with, as Apollo Server and the auth directives name them. */
export type ClientErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'BAD_REQUEST'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** How an error is answered, whatever shape the answer takes (GraphQL, django-rest-framework, plain JSON). */
export interface NormalizedError {
  /** The HTTP status where the error refuses the whole request. */
  status: number;
  code: ClientErrorCode;
  /** What the client may read: the error's own message, or `Internal server error.` for a server error. */
  message: string;
  /** The `SsoError` code (`TOKEN_EXPIRED`, `SESSION_REVOKED`, ...); `INTERNAL` for a server error. */
  reason?: string;
  /** Seconds, for `TOO_MANY_REQUESTS`. */
  retryAfter?: number;
  /** Response headers the answer needs: `www-authenticate`, `retry-after`, `connection`. */
  headers: Record<string, string>;
  /** The `SsoError` the error is or wraps (a database outage becomes a `ServiceUnavailableError`). */
  error?: SsoError;
  /** A server error, not the client's: its text is hidden, and whoever answers it logs it. */
  internal: boolean;
}

export interface NormalizeErrorOptions {
  /** The `Authorization` scheme, for the `WWW-Authenticate` challenge (`authenticateHeader`). Default `JWT`. */
  scheme?: string;
}

const STATUS: Record<ClientErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

const REQUEST_STATUS: Record<string, number> = { REQUEST_INVALID: 400, REQUEST_TOO_LARGE: 413, MEDIA_TYPE_UNSUPPORTED: 415 };

type Extensions = { code?: unknown; reason?: unknown; retryAfter?: unknown };

/**
 * The `SsoError` behind `raw`: itself, or the `originalError` a GraphQL error wraps it in (read
 * by shape, so that this module needs no GraphQL), or a database outage's `ServiceUnavailableError`.
 */
function ssoErrorOf(raw: unknown): SsoError | null {
  let error = raw;
  for (let depth = 0; depth < 8 && error instanceof Error && !(error instanceof SsoError); depth += 1) {
    const inner = (error as { originalError?: unknown }).originalError;
    if (inner === undefined || inner === null) break;
    error = inner;
  }
  return error instanceof SsoError ? error : databaseUnavailableError(error);
}

function masked(error?: SsoError): NormalizedError {
  return {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    message: INTERNAL_ERROR_MESSAGE,
    reason: 'INTERNAL',
    headers: {},
    error,
    internal: true,
  };
}

function answer(code: ClientErrorCode, message: string, reason: string | undefined, scheme: string, retryAfter?: number): NormalizedError {
  const headers: Record<string, string> = {};
  if (code === 'UNAUTHENTICATED') headers['www-authenticate'] = `${scheme} realm="api"`;
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return { status: STATUS[code], code, message, reason, headers, internal: false, ...(retryAfter === undefined ? {} : { retryAfter }) };
}

function fromSsoError(error: SsoError, scheme: string): NormalizedError {
  let normalized: NormalizedError;
  if (error instanceof AuthenticationError) normalized = answer('UNAUTHENTICATED', error.message, error.code, scheme);
  else if (error instanceof ForbiddenError) normalized = answer('FORBIDDEN', error.message, error.code, scheme);
  else if (error instanceof InputError) normalized = answer('BAD_USER_INPUT', error.message, error.code, scheme);
  else if (error instanceof TooManyRequestsError)
    normalized = answer('TOO_MANY_REQUESTS', error.message, error.code, scheme, error.retryAfter);
  else if (error instanceof ServiceUnavailableError) normalized = answer('SERVICE_UNAVAILABLE', error.message, error.code, scheme);
  else if (error instanceof RequestError) {
    normalized = { ...answer('BAD_REQUEST', error.message, error.code, scheme), status: REQUEST_STATUS[error.code]! };
    // Nothing more of the body is read: the client would send it into the void.
    if (error.code === 'REQUEST_TOO_LARGE') normalized.headers.connection = 'close';
  } else return masked(error);
  return { ...normalized, error };
}

/** A GraphQL error made elsewhere (a hook's, a plugin's) that carries one of our codes. */
function fromExtensions(extensions: Extensions, message: string, scheme: string): NormalizedError | null {
  const code = extensions.code as ClientErrorCode;
  if (typeof code !== 'string' || !(code in STATUS) || code === 'BAD_REQUEST') return null;
  if (code === 'INTERNAL_SERVER_ERROR') return masked();
  const retryAfter = typeof extensions.retryAfter === 'number' ? extensions.retryAfter : undefined;
  return answer(code, message, typeof extensions.reason === 'string' ? extensions.reason : undefined, scheme, retryAfter);
}

/**
 * The one place that decides how an error is answered: its status, client-facing code, message,
 * `reason`, and the headers it needs. Authentication failures are `UNAUTHENTICATED` 401 with the
 * `WWW-Authenticate` challenge, missing permissions `FORBIDDEN` 403, bad input `BAD_USER_INPUT`
 * 400, throttled logins `TOO_MANY_REQUESTS` 429 with `Retry-After`, an unreachable database or
 * key set `SERVICE_UNAVAILABLE` 503, an unreadable request (`RequestError`, or a library's error
 * carrying a 4xx `statusCode`, as Fastify's and http-errors' do) `BAD_REQUEST` with its status. A
 * GraphQL error is read through the `SsoError` it wraps, else by its `extensions.code`. Anything
 * else — a `HookError`, an `SsoError` that is no refusal, an unexpected throw — is a server error:
 * `INTERNAL_SERVER_ERROR` 500, `Internal server error.`, never its own or its cause's text.
 * Renderers (`toGraphQLError`, `formatSsoError`, the REST views, the identity service's HTTP
 * answers) shape this and decide nothing themselves.
 */
export function normalizeError(raw: unknown, options: NormalizeErrorOptions = {}): NormalizedError {
  const scheme = options.scheme ?? 'JWT';
  const sso = ssoErrorOf(raw);
  if (sso) return fromSsoError(sso, scheme);
  if (raw === null || typeof raw !== 'object') return masked();
  const { extensions, statusCode, status, message } = raw as {
    extensions?: Extensions;
    statusCode?: unknown;
    status?: unknown;
    message?: unknown;
  };
  if (extensions && typeof extensions === 'object') return fromExtensions(extensions, String(message), scheme) ?? masked();
  const httpStatus = typeof statusCode === 'number' ? statusCode : status;
  if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500 && typeof message === 'string') {
    return { ...answer('BAD_REQUEST', message, undefined, scheme), status: httpStatus };
  }
  return masked();
}
