import type { KeySource, VerificationKey } from '../key-store.js';
import type { TokenSettings } from '../options.js';
import { readToken } from './read-token.js';
import { acceptedIssuer } from './validate-claims.js';
import { verifySignature, type RefusedSignature } from './verify-signature.js';

/** A token read, its issuer accepted and its signature verified (unless `verifySignature` is off). */
export interface VerifiedSignature {
  payload: Record<string, unknown>;
  /** The key that verified it; `undefined` when signatures are not verified. */
  key: VerificationKey | undefined;
  kid: string | undefined;
}

/**
 * The key chosen as django-rest-framework-sso chooses it, by the unverified `iss` and `kid`, in
 * this order, the first failure thrown: the encoding (`readToken`) -> `iss` present and accepted
 * -> the key -> the algorithm allowed for it -> the signature. `refused`: a signature jsonwebtoken
 * has already refused (`verifyByKeyId`), not checked again if it is this key's and algorithm's.
 */
export async function verifyByIssuer(
  token: string,
  settings: Pick<TokenSettings, 'acceptedIssuers' | 'verifySignature'>,
  keys: KeySource,
  refused?: RefusedSignature,
): Promise<VerifiedSignature> {
  const { header, payload } = readToken(token);
  const issuer = acceptedIssuer(payload, settings.acceptedIssuers);
  if (!settings.verifySignature) return { payload, key: undefined, kid: header.kid };
  const found = keys.getVerificationKey(issuer, header.kid);
  const key = found instanceof Promise ? await found : found;
  return { payload: verifySignature(token, header.alg, key, refused), key, kid: header.kid };
}
