/**
 * One error hierarchy for the whole library. Token, key and session code throws these; one
 * function (`normalizeError`, `lib/normalize-error.ts`) decides how each is answered, and the
 * GraphQL, REST and plain HTTP layers only shape that answer.
 */
export type SsoErrorCode =
  | 'INVALID_SETTINGS'
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALID'
  | 'AUTH_HEADER_INVALID'
  | 'TOKEN_TOO_LONG'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_ALGORITHM_NOT_ALLOWED'
  | 'TOKEN_SIGNATURE_INVALID'
  | 'TOKEN_ISSUER_NOT_ACCEPTED'
  | 'TOKEN_CLAIM_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_TYPE_INVALID'
  | 'INVALID_CREDENTIALS'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_REVOKED'
  | 'SESSION_EXPIRED'
  | 'USER_NOT_FOUND'
  | 'USER_INACTIVE'
  | 'NOT_AUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'SERVICE_UNAVAILABLE'
  | 'TOO_MANY_REQUESTS'
  | 'REQUEST_INVALID'
  | 'REQUEST_TOO_LARGE'
  | 'MEDIA_TYPE_UNSUPPORTED'
  | 'PACKAGE_MISSING'
  | 'INTERNAL';

export class SsoError extends Error {
  readonly code: SsoErrorCode;

  constructor(code: SsoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Settings or key files that cannot be used; raised at start-up, before anything listens. */
export class SettingsError extends SsoError {
  /** The setting at fault, e.g. `publicKeys.myapp`. */
  readonly setting: string;
  /** The file at fault, when there is one. */
  readonly file?: string;

  constructor(setting: string, message: string, options?: { file?: string; cause?: unknown }) {
    super('INVALID_SETTINGS', `Invalid setting "${setting}": ${message}`, options);
    this.setting = setting;
    this.file = options?.file;
  }
}

export class KeyError extends SsoError {}

/** The request presented credentials, and they cannot be accepted. Maps to `UNAUTHENTICATED`. */
export class AuthenticationError extends SsoError {}

/** A claim failed validation. `claim` names it, `reason` says which check failed. */
export class JwtClaimError extends AuthenticationError {
  readonly claim: string;
  readonly reason: 'missing' | 'invalid' | 'check_failed';

  constructor(code: SsoErrorCode, message: string, claim: string, reason: JwtClaimError['reason'], options?: { cause?: unknown }) {
    super(code, message, options);
    this.claim = claim;
    this.reason = reason;
  }
}

export class JwtExpiredError extends JwtClaimError {
  constructor(message = 'Token has expired.') {
    super('TOKEN_EXPIRED', message, 'exp', 'check_failed');
  }
}

/** Authenticated, but not allowed. Maps to `FORBIDDEN`. */
export class ForbiddenError extends SsoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FORBIDDEN', message, options);
  }
}

/** Bad input from a caller (CLI or API), e.g. an empty password or a duplicate username. */
export class InputError extends SsoError {
  constructor(message: string, code: 'INVALID_INPUT' | 'CONFLICT' | 'NOT_FOUND' = 'INVALID_INPUT') {
    super(code, message);
  }
}

/** Something the service depends on (a key set, the database) is unreachable. Maps to HTTP 503. */
export class ServiceUnavailableError extends SsoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVICE_UNAVAILABLE', message, options);
  }
}

/** What a client is told of a server error it did not cause: nothing more. The cause is logged. */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error.';

/**
 * A function the settings or the directives plug in (`createSessionPayload`,
 * `createAuthorizationPayload`, `authenticatePayload`, `encodeJwtToken`, `decodeJwtToken`, a
 * `@policy`) threw what it did not mean to: neither an `SsoError` nor a `GraphQLError`, nor a sign
 * that the database is unreachable (those keep their own answers). Its text may name tables,
 * queries or hosts, so clients are told only `INTERNAL_SERVER_ERROR` and `Internal server error.`
 * (HTTP 500 where it refuses the whole request); `cause` holds what was thrown, and is what
 * `errorLogPlugin`, `createSsoContext` and the REST views log, with `hook`. Recognise it (e.g. in
 * a `formatError` of your own) by `instanceof HookError` or by its code, `INTERNAL`.
 */
export class HookError extends SsoError {
  /** The hook at fault: the setting's name (`createAuthorizationPayload`), or `policies.<name>` for a policy. */
  readonly hook: string;

  constructor(hook: string, cause: unknown) {
    super('INTERNAL', INTERNAL_ERROR_MESSAGE, { cause });
    this.hook = hook;
  }
}

/** Too many failed logins: no attempt is evaluated for `retryAfter` seconds. Maps to HTTP 429. */
export class TooManyRequestsError extends SsoError {
  readonly retryAfter: number;

  constructor(retryAfter: number) {
    super('TOO_MANY_REQUESTS', `Too many failed login attempts. Try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`);
    this.retryAfter = retryAfter;
  }
}

/**
 * The HTTP request itself cannot be served: a body that does not parse (`REQUEST_INVALID`, 400),
 * one over `limits.maxBodyBytes` (`REQUEST_TOO_LARGE`, 413) or of a media type that is not read
 * (`MEDIA_TYPE_UNSUPPORTED`, 415). Maps to `BAD_REQUEST`, as Apollo Server answers malformed requests.
 */
export class RequestError extends SsoError {
  constructor(code: 'REQUEST_INVALID' | 'REQUEST_TOO_LARGE' | 'MEDIA_TYPE_UNSUPPORTED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A package that only some entry points or settings need is not installed (e.g. MikroORM for
 * `graphql-sso/identity`): the message names it and the command that installs it.
 */
export class MissingPackageError extends SsoError {
  /** The package that could not be loaded. */
  readonly package: string;

  constructor(pkg: string, message: string, options?: { cause?: unknown }) {
    super('PACKAGE_MISSING', message, options);
    this.package = pkg;
  }
}
