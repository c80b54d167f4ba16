/** Claim names, identical to django-rest-framework-sso's so that tokens interoperate. */
export const TOKEN_TYPE = 'token';
export const TOKEN_SESSION = 'session';
export const TOKEN_AUTHORIZATION = 'auth';

export const ISSUER = 'iss';
export const SUBJECT = 'sub';
export const AUDIENCE = 'aud';
export const EXPIRATION_TIME = 'exp';
export const NOT_BEFORE_TIME = 'nbf';
export const ISSUED_AT = 'iat';
export const JWT_ID = 'jti';

export const SESSION_ID = 'sid';
export const CLIENT_ID = 'cid';
export const USER_ID = 'uid';
export const EMAIL = 'email';
export const SCOPES = 'scopes';
/** The same scopes, space-separated, as OAuth gateways read them. */
export const SCOPE = 'scope';

export const KEY_ID = 'kid';

export type TokenType = typeof TOKEN_SESSION | typeof TOKEN_AUTHORIZATION;

/** A decoded, verified token payload. Custom claims (e.g. `account`) sit beside the named ones. */
export interface TokenPayload {
  token: TokenType;
  iss: string;
  sid: string;
  uid: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  sub?: string;
  cid?: string;
  email?: string | null;
  scopes?: string[];
  /** `scopes` space-separated, in authorization tokens. */
  scope?: string;
  [claim: string]: unknown;
}

/** A payload before encoding: `iss`, `aud`, `exp` and `iat` are filled by `encodeJwtToken`. */
export type UnsignedPayload = Omit<TokenPayload, 'iss'> & { iss?: string };
