import { GraphQLError } from 'graphql';
import { toGraphQLError } from '../../../auth/graphql-errors.js';
import { databaseUnavailableError } from '../../../lib/database-unavailable.js';
import { JwtClaimError, SsoError, type SsoErrorCode } from '../../../errors.js';

/** An answer in Django REST Framework's JSON shapes, thrown by a view to end it. */
export class DrfResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** A serializer's field errors, `{"field": ["message", ...]}`, as DRF answers them (400). */
export type FieldErrors = Record<string, string[]>;

export function addFieldError(errors: FieldErrors, field: string, message: string): undefined {
  (errors[field] ??= []).push(message);
  return undefined;
}

/** DRF's `AuthenticationFailed()` default, which the original answers for claims pyjwt refuses. */
const INCORRECT_CREDENTIALS = 'Incorrect authentication credentials.';

/**
 * What django-rest-framework-sso answers for the same refusal (its `JWTAuthentication`, its
 * `authenticate_payload`, DRF's `NotAuthenticated`), so that its clients see the same `detail`.
 * Codes without an entry keep our message (e.g. an authorization token used to mint: the original
 * has no such refusal; header errors: ours already are DRF's words).
 */
const ORIGINAL_DETAIL: Partial<Record<SsoErrorCode, string>> = {
  NOT_AUTHENTICATED: 'Authentication credentials were not provided.',
  TOKEN_MALFORMED: 'Error decoding signature.',
  TOKEN_SIGNATURE_INVALID: 'Error decoding signature.',
  TOKEN_EXPIRED: 'Signature has expired.',
  KEY_NOT_FOUND: 'Unauthorized token signing key.',
  TOKEN_ALGORITHM_NOT_ALLOWED: INCORRECT_CREDENTIALS,
  TOKEN_ISSUER_NOT_ACCEPTED: INCORRECT_CREDENTIALS,
  TOKEN_CLAIM_INVALID: INCORRECT_CREDENTIALS,
  TOKEN_NOT_YET_VALID: INCORRECT_CREDENTIALS,
  SESSION_NOT_FOUND: 'Invalid token.',
  SESSION_REVOKED: 'Invalid token.',
  SESSION_EXPIRED: 'Invalid token.',
  USER_NOT_FOUND: 'Invalid token.',
  USER_INACTIVE: 'User inactive or deleted.',
};

function detailOf(error: SsoError | undefined, message: string): string {
  if (!error) return message;
  return ORIGINAL_DETAIL[error.code] ?? (error instanceof JwtClaimError ? INCORRECT_CREDENTIALS : message);
}

/** DRF's `APIException` default detail: what a server error is answered with (500), and nothing more. */
export const SERVER_ERROR_DETAIL = 'A server error occurred.';

/**
 * Our errors in DRF's shapes: `UNAUTHENTICATED` 401 `{"detail"}` with the `WWW-Authenticate`
 * challenge, `FORBIDDEN` 403, bad input 400 `{"non_field_errors"}`, an unreachable dependency 503,
 * a throttled login 429 `{"detail"}` with `Retry-After`, as DRF's `Throttled`; the context's
 * refusal of a request for a server error (a `GraphQLError` made from an `INTERNAL` error, whose
 * cause `createSsoContext` logged) 500 `SERVER_ERROR_DETAIL`.
 * `null` for anything else, a `HookError` included: a server error, for the view to log and answer
 * 500 without showing it to the client.
 */
export function toDrfResponse(raw: unknown, scheme: string): DrfResponse | null {
  if (raw instanceof DrfResponse) return raw;
  const error = raw instanceof SsoError || raw instanceof GraphQLError ? raw : (databaseUnavailableError(raw) ?? raw);
  let graphQLError: GraphQLError;
  if (error instanceof GraphQLError) graphQLError = error;
  else if (error instanceof SsoError) graphQLError = toGraphQLError(error);
  else return null;
  const original = error instanceof SsoError ? error : graphQLError.originalError instanceof SsoError ? graphQLError.originalError : undefined;
  switch (graphQLError.extensions.code) {
    case 'UNAUTHENTICATED':
      return new DrfResponse(401, { detail: detailOf(original, graphQLError.message) }, { 'www-authenticate': `${scheme} realm="api"` });
    case 'FORBIDDEN':
      return new DrfResponse(403, { detail: graphQLError.message });
    case 'BAD_USER_INPUT':
      return new DrfResponse(400, { non_field_errors: [graphQLError.message] });
    case 'SERVICE_UNAVAILABLE':
      return new DrfResponse(503, { detail: graphQLError.message });
    case 'TOO_MANY_REQUESTS': {
      // DRF's `Throttled` detail and header.
      const wait = graphQLError.extensions.retryAfter as number;
      return new DrfResponse(429, { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` }, { 'retry-after': String(wait) });
    }
    case 'INTERNAL_SERVER_ERROR':
      return error instanceof GraphQLError && original?.code === 'INTERNAL' ? new DrfResponse(500, { detail: SERVER_ERROR_DETAIL }) : null;
    default:
      return null;
  }
}
