import { JwtClaimError, SsoError, type SsoErrorCode } from '../../../errors.js';
import { normalizeError } from '../../../lib/normalize-error.js';

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

/** An error answered in DRF's shapes; `internal` when it is a server error the answerer must log. */
export interface DrfAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  internal: boolean;
}

/**
 * Any error in DRF's shapes, as `normalizeError` decides its status and headers: `{"detail"}` in
 * the original's words where it has them (`ORIGINAL_DETAIL`), bad input as
 * `{"non_field_errors": [...]}`, a throttled login as DRF's `Throttled` says it, a server error
 * `SERVER_ERROR_DETAIL`. A `DrfResponse` is its own answer.
 */
export function drfAnswer(raw: unknown, scheme: string): DrfAnswer {
  if (raw instanceof DrfResponse) return { status: raw.status, body: raw.body, headers: raw.headers, internal: false };
  const normalized = normalizeError(raw, { scheme });
  const { status, headers, internal } = normalized;
  let body: Record<string, unknown>;
  switch (normalized.code) {
    case 'UNAUTHENTICATED':
      body = { detail: detailOf(normalized.error, normalized.message) };
      break;
    case 'BAD_USER_INPUT':
      body = { non_field_errors: [normalized.message] };
      break;
    case 'TOO_MANY_REQUESTS': {
      const wait = normalized.retryAfter!;
      body = { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` };
      break;
    }
    case 'INTERNAL_SERVER_ERROR':
      body = { detail: SERVER_ERROR_DETAIL };
      break;
    default:
      body = { detail: normalized.message };
  }
  return { status, body, headers, internal };
}
