import type { TokenContext } from '../config/settings.js';
import { AuthenticationError, JwtClaimError } from '../errors.js';
import type { TokenPayload } from './claims.js';
import type { VerificationKey } from './key-store.js';
import { isSupportedAlgorithm } from './lib/algorithms.js';
import { JwsFormatError, parseJws, verifyJws } from './lib/jws.js';
import { validateClaims } from './lib/validate-claims.js';

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Verifies a token as django-rest-framework-sso does: the key is picked by the unverified `iss`
 * and `kid`, the issuer must be accepted, the algorithm must be allowed for that key, then the
 * signature and the claims (`validateClaims` order) are checked.
 *
 * With a `cache` in the context (`createSsoContext` passes one), a token verified before under
 * the same settings and key, and still inside its lifetime, is answered from it; a token that
 * verifies is remembered, and its payload is then frozen (requests presenting it share it).
 */
export async function decodeJwtToken(token: string, { settings, keys, now = nowInSeconds, cache }: TokenContext): Promise<TokenPayload> {
  const id = cache !== undefined && settings.verifySignature ? cache.idOf(token) : undefined;
  if (id !== undefined) {
    const cached = cache!.get(id, settings, keys, now());
    const payload = cached instanceof Promise ? await cached : cached;
    if (payload !== undefined) return payload;
  }

  let jws;
  try {
    jws = parseJws(token);
  } catch (error) {
    if (error instanceof JwsFormatError) throw new AuthenticationError('TOKEN_MALFORMED', `Error decoding token: ${error.message}`);
    throw error;
  }
  const { header, payload } = jws;
  if (header.crit !== undefined) {
    throw new AuthenticationError('TOKEN_MALFORMED', 'Error decoding token: critical header parameters are not supported.');
  }
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string') {
    throw new AuthenticationError('TOKEN_MALFORMED', 'Error decoding token: "kid" header is not a string.');
  }

  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new AuthenticationError('TOKEN_MALFORMED', 'Error decoding token: Token payload is not a JSON object.');
  }
  const issuer = (payload as Record<string, unknown>).iss;
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new JwtClaimError('TOKEN_CLAIM_INVALID', 'Token is missing the "iss" claim.', 'iss', 'missing');
  }
  if (settings.acceptedIssuers !== null && !settings.acceptedIssuers.includes(issuer)) {
    throw new JwtClaimError('TOKEN_ISSUER_NOT_ACCEPTED', 'Token issuer is not accepted.', 'iss', 'check_failed');
  }

  let key: VerificationKey | undefined;
  if (settings.verifySignature) {
    const found = keys.getVerificationKey(issuer, kid);
    key = found instanceof Promise ? await found : found;
    const algorithm = header.alg;
    if (!isSupportedAlgorithm(algorithm) || !key.algorithms.includes(algorithm)) {
      throw new AuthenticationError(
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        `Token algorithm ${JSON.stringify(algorithm)} is not allowed for this key.`,
      );
    }
    if (!verifyJws(jws, algorithm, key.publicKey)) {
      throw new AuthenticationError('TOKEN_SIGNATURE_INVALID', 'Token signature is invalid.');
    }
  }

  const claims = validateClaims(payload, {
    issuer,
    audience: settings.verifyAudience ? settings.identity : null,
    verifyExpiration: settings.verifyExpiration,
    leeway: settings.expirationLeeway,
    now: now(),
  });
  if (id !== undefined && key !== undefined) cache!.set(id, { payload: claims, key, kid, settings });
  return claims;
}
