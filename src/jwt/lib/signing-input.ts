import type { KeyObject } from 'node:crypto';
import type { SignOptions } from 'jsonwebtoken';
import { SsoError } from '../../errors.js';
import { TOKEN_AUTHORIZATION, TOKEN_SESSION, type UnsignedPayload } from '../claims.js';
import type { TokenContext } from '../options.js';

/** What `jsonwebtoken.sign` is given for one token. */
export interface SigningInput {
  claims: Record<string, unknown>;
  key: KeyObject;
  options: SignOptions;
}

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A payload's claims with `iss`, `aud`, `exp` and `iat` filled by django-rest-framework-sso's
 * rules where it does not set them, and the issuer's current private key (header `alg`, `kid`).
 */
export function signingInput(payload: UnsignedPayload, { settings, keys, now = nowInSeconds }: TokenContext): SigningInput {
  if (payload.token !== TOKEN_SESSION && payload.token !== TOKEN_AUTHORIZATION) {
    throw new SsoError('TOKEN_TYPE_INVALID', `Unknown token type ${JSON.stringify(payload.token)}.`);
  }
  const claims: Record<string, unknown> = { ...payload };
  const issuedAt = now();
  if (!claims.iss) {
    if (settings.identity === null) throw new SsoError('INVALID_SETTINGS', 'Setting "identity" is required to issue tokens.');
    claims.iss = settings.identity;
  }
  const isSession = payload.token === TOKEN_SESSION;
  if (!claims.aud) {
    const audience = isSession ? settings.sessionAudience : settings.authorizationAudience;
    if (audience !== null) claims.aud = audience;
    else if (settings.identity !== null) claims.aud = [settings.identity];
    else throw new SsoError('INVALID_SETTINGS', 'Setting "sessionAudience" or "identity" is required to issue tokens.');
  }
  if (claims.exp === undefined) {
    const lifetime = isSession ? settings.sessionExpiration : settings.authorizationExpiration;
    if (lifetime !== null) claims.exp = issuedAt + lifetime;
    // A claim set to `undefined` is left out of the token; jsonwebtoken would refuse it as not a number.
    else delete claims.exp;
  }
  if (claims.nbf === undefined) delete claims.nbf;
  if (claims.iat === undefined) claims.iat = issuedAt;
  if (!keys.getSigningKey) throw new SsoError('KEY_NOT_FOUND', 'This key source cannot sign tokens.');
  const key = keys.getSigningKey(claims.iss as string);
  return { claims, key: key.privateKey, options: { algorithm: settings.encodeAlgorithm, keyid: key.kid } };
}
