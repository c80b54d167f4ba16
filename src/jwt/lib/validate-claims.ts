import { JwtClaimError, JwtExpiredError } from '../../errors.js';
import { TOKEN_AUTHORIZATION, TOKEN_SESSION, type TokenPayload } from '../claims.js';

export interface ClaimsOptions {
  /** The audience that must be in `aud`, or `null` to skip the check. */
  audience: string | null;
  verifyExpiration: boolean;
  leeway: number;
  now: number;
}

const isNumericDate = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown) => typeof value === 'string' && value.length > 0;
const isUserId = (value: unknown) => (typeof value === 'string' && value.length > 0) || Number.isSafeInteger(value);
const DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;

function required(payload: Record<string, unknown>, claim: string, valid: (value: unknown) => boolean) {
  const value = payload[claim];
  if (value === undefined || value === null) {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', `Token is missing the "${claim}" claim.`, claim, 'missing');
  }
  if (!valid(value)) {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', `Token has an invalid "${claim}" claim.`, claim, 'invalid');
  }
}

/**
 * `exp` has passed (with `leeway` seconds of tolerance). The one rule for a token being verified
 * and for one served from the verified-token cache.
 */
export function hasExpired(exp: number, now: number, leeway: number): boolean {
  return exp <= now - leeway;
}

/** `nbf` is still ahead (with `leeway` seconds of tolerance); the same rule for cached tokens. */
export function isNotYetValid(nbf: number, now: number, leeway: number): boolean {
  return nbf > now + leeway;
}

/**
 * The unverified `iss`, which chooses the key, if the settings accept it; checked before any key
 * is looked up, so that a token of an issuer not accepted costs no key lookup (nor a JWKS fetch).
 * No later check compares it again: the payload whose signature is verified is jsonwebtoken's
 * decoding of the very same text.
 */
export function acceptedIssuer(payload: Record<string, unknown>, acceptedIssuers: readonly string[] | null): string {
  const issuer = payload.iss;
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', 'Token is missing the "iss" claim.', 'iss', 'missing');
  }
  if (acceptedIssuers !== null && !acceptedIssuers.includes(issuer)) {
    throw new JwtClaimError('TOKEN_ISSUER_NOT_ACCEPTED', 'Token issuer is not accepted.', 'iss', 'check_failed');
  }
  return issuer;
}

/**
 * Checks a signature-verified payload whose `iss` `acceptedIssuer` has accepted, always in this
 * order: token type -> required claims (`sid`, `uid`, and `exp` in an authorization token, which
 * subgraphs trust without asking the identity service: it must end) and the claim types ->
 * audience -> not before -> expiry. The first failure is thrown.
 */
export function validateClaims(claims: Record<string, unknown>, options: ClaimsOptions): TokenPayload {
  if (claims.token !== TOKEN_SESSION && claims.token !== TOKEN_AUTHORIZATION) {
    throw new JwtClaimError('TOKEN_TYPE_INVALID', 'Token is neither a session nor an authorization token.', 'token', 'invalid');
  }

  required(claims, 'sid', isNonEmptyString);
  required(claims, 'uid', isUserId);
  if (claims.token === TOKEN_AUTHORIZATION) required(claims, 'exp', isNumericDate);
  for (const claim of DATE_CLAIMS) {
    if (claims[claim] !== undefined && !isNumericDate(claims[claim])) {
      throw new JwtClaimError('TOKEN_CLAIM_INVALID', `Token has an invalid "${claim}" claim.`, claim, 'invalid');
    }
  }
  if (claims.scopes !== undefined && !(Array.isArray(claims.scopes) && claims.scopes.every((s) => typeof s === 'string'))) {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', 'Token has an invalid "scopes" claim.', 'scopes', 'invalid');
  }
  if (claims.scope !== undefined && typeof claims.scope !== 'string') {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', 'Token has an invalid "scope" claim.', 'scope', 'invalid');
  }

  if (options.audience !== null) {
    const aud = claims.aud;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(options.audience)) {
      throw new JwtClaimError('TOKEN_CLAIM_INVALID', 'Token is not meant for this service (invalid audience).', 'aud', 'check_failed');
    }
  }

  if (claims.nbf !== undefined && isNotYetValid(claims.nbf as number, options.now, options.leeway)) {
    throw new JwtClaimError('TOKEN_NOT_YET_VALID', 'Token is not valid yet.', 'nbf', 'check_failed');
  }

  if (options.verifyExpiration && claims.exp !== undefined && hasExpired(claims.exp as number, options.now, options.leeway)) {
    throw new JwtExpiredError();
  }

  return claims as TokenPayload;
}
