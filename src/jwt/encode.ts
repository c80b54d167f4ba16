import jwt from 'jsonwebtoken';
import type { UnsignedPayload } from './claims.js';
import { signingInput } from './lib/signing-input.js';
import type { TokenContext } from './options.js';

/**
 * Signs a payload with jsonwebtoken and the issuer's current private key (header `alg`, `typ`,
 * `kid`), filling `iss`, `aud`, `exp` and `iat` by django-rest-framework-sso's rules when the
 * payload does not set them.
 */
export function encodeJwtToken(payload: UnsignedPayload, context: TokenContext): string {
  const { claims, key, options } = signingInput(payload, context);
  return jwt.sign(claims, key, options);
}
