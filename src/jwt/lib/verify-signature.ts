import jwt from 'jsonwebtoken';
import { AuthenticationError } from '../../errors.js';
import type { VerificationKey } from '../key-store.js';
import { isSupportedAlgorithm, type Algorithm } from './algorithms.js';

/** A signature jsonwebtoken refused with this key and algorithm, and why. */
export interface RefusedSignature {
  key: VerificationKey;
  alg: Algorithm;
  cause: unknown;
}

/**
 * Checks the token's signature with jsonwebtoken and `key`'s `KeyObject` (parsed once, when the
 * key was loaded), allowing only the key's own algorithms: `alg: none` and HMAC are none of them,
 * so neither an unsecured token nor a public key used as an HMAC secret gets through. Returns the
 * payload jsonwebtoken verified. Claims are left to `validateClaims`, in its order and with its
 * codes: jsonwebtoken is told to skip `exp` and `nbf`, and is given no audience or issuer.
 * `refused`: the verdict of an earlier check of this very token, which stands for the same key
 * and algorithm (jsonwebtoken would only say it again).
 */
export function verifySignature(token: string, alg: unknown, key: VerificationKey, refused?: RefusedSignature): Record<string, unknown> {
  if (!isSupportedAlgorithm(alg) || !key.algorithms.includes(alg)) {
    throw new AuthenticationError('TOKEN_ALGORITHM_NOT_ALLOWED', `Token algorithm ${JSON.stringify(alg)} is not allowed for this key.`);
  }
  if (refused !== undefined && refused.key === key && refused.alg === alg) {
    throw new AuthenticationError('TOKEN_SIGNATURE_INVALID', 'Token signature is invalid.', { cause: refused.cause });
  }
  try {
    // jsonwebtoken only reads `algorithms`. What it can refuse here, `readToken` and the check
    // above have already refused for what they are, so any refusal left is of the signature:
    // wrong, empty, or of the wrong length for the key.
    return jwt.verify(token, key.publicKey, {
      algorithms: key.algorithms as jwt.Algorithm[],
      ignoreExpiration: true,
      ignoreNotBefore: true,
    }) as Record<string, unknown>;
  } catch (error) {
    throw new AuthenticationError('TOKEN_SIGNATURE_INVALID', 'Token signature is invalid.', { cause: error });
  }
}
