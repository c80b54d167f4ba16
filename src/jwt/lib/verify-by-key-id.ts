import jwt from 'jsonwebtoken';
import type { KeySource, VerificationKey } from '../key-store.js';
import { isSupportedAlgorithm, type Algorithm } from './algorithms.js';
import { encodingProblem, formProblem, headerProblem, isObject, type TokenHeader } from './read-token.js';
import type { VerifiedSignature } from './verify-by-issuer.js';
import type { RefusedSignature } from './verify-signature.js';

/** Verified, by this key. */
export type KeyIdVerified = VerifiedSignature & { key: VerificationKey };

/** jsonwebtoken refused the signature. */
export interface KeyIdRefused {
  refused: RefusedSignature;
}

/** `undefined`: the `kid` did not decide the key, or something else is wrong: decode as usual. */
export type KeyIdOutcome = KeyIdVerified | KeyIdRefused | undefined;

const PENDING = Symbol('pending');
const FALL_BACK = new Error('the kid does not decide the key');

/**
 * Verifies a token with a single decoding: jsonwebtoken's `verify` decodes it and hands over its
 * header, whose `kid` — when the key source knows exactly one issuer holding it (`issuerOfKey`),
 * and that issuer is accepted — chooses the key before the payload is read; the verified payload's
 * `iss` must then be that issuer. So a token is accepted exactly when choosing the key by its `iss`
 * and `kid` accepts it, with the same key. Anything else (no such issuer, a refused header or
 * algorithm, another `iss`, bytes that are not UTF-8...) answers `undefined` and the caller takes
 * that usual way, which finds the first failure in its documented order; a refused signature is
 * answered with its key and algorithm, so that the usual way need not check it again.
 */
export function verifyByKeyId(
  token: string,
  acceptedIssuers: readonly string[] | null,
  keys: KeySource,
): KeyIdOutcome | Promise<KeyIdOutcome> {
  if (keys.issuerOfKey === undefined || formProblem(token) !== undefined) return undefined;
  // jsonwebtoken reads `algorithms` after it has the key: the chosen key's own are put in then.
  const options = { algorithms: [] as jwt.Algorithm[], ignoreExpiration: true, ignoreNotBefore: true };
  let chosen: { key: VerificationKey; alg: Algorithm; kid: string | undefined; issuer: string } | undefined;

  // jsonwebtoken answers at once when the key does (a KeyStore), later when it is fetched.
  let result: KeyIdOutcome | typeof PENDING = PENDING;
  let resolve: ((value: KeyIdOutcome) => void) | undefined;
  const settle = (value: KeyIdOutcome) => {
    if (result !== PENDING) return;
    result = value;
    resolve?.(value);
  };

  const getKey: jwt.GetPublicKeyOrSecret = (header, done) => {
    if (headerProblem(header) !== undefined) return done(FALL_BACK);
    const { kid, alg } = header as TokenHeader;
    const issuer = keys.issuerOfKey!(kid);
    if (issuer === undefined || (acceptedIssuers !== null && !acceptedIssuers.includes(issuer))) return done(FALL_BACK);
    const use = (key: VerificationKey) => {
      if (!isSupportedAlgorithm(alg) || !key.algorithms.includes(alg)) return done(FALL_BACK);
      chosen = { key, alg, kid, issuer };
      options.algorithms.push(...key.algorithms);
      try {
        done(null, key.publicKey);
      } catch {
        settle(undefined); // jsonwebtoken choked on what it decoded (a payload of JSON null): the usual way refuses it
      }
    };
    let found: VerificationKey | Promise<VerificationKey>;
    try {
      found = keys.getVerificationKey(issuer, kid);
    } catch {
      return done(FALL_BACK);
    }
    if (found instanceof Promise) found.then(use, () => done(FALL_BACK));
    else use(found);
  };

  jwt.verify(token, getKey, options, (error, payload) => {
    if (chosen === undefined) return settle(undefined);
    if (error) return settle({ refused: { key: chosen.key, alg: chosen.alg, cause: error } });
    if (!isObject(payload) || payload.iss !== chosen.issuer || encodingProblem(token) !== undefined) return settle(undefined);
    settle({ payload, key: chosen.key, kid: chosen.kid });
  });
  return result !== PENDING ? result : new Promise((r) => (resolve = r));
}
