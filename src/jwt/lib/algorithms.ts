import type { KeyObject } from 'node:crypto';

/** Asymmetric JWS algorithms only: no `none`, no HMAC, so no HS/RS confusion is possible. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;

export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export function isSupportedAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && (SUPPORTED_ALGORITHMS as readonly string[]).includes(value);
}

const EC_CURVE_ALGORITHM: Record<string, Algorithm> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
};

/** The algorithms a key may be used with, by the key's own type: an RSA key never verifies ES256. */
export function algorithmsForKey(key: KeyObject): Algorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const algorithm = curve ? EC_CURVE_ALGORITHM[curve] : undefined;
      return algorithm ? [algorithm] : [];
    }
    default:
      return [];
  }
}

export interface AlgorithmParameters {
  hash: 'sha256' | 'sha384' | 'sha512';
  padding?: 'pkcs1' | 'pss';
  /** JWS carries ECDSA signatures as r||s (IEEE P1363), not DER. */
  ecdsa?: boolean;
}

export function algorithmParameters(algorithm: Algorithm): AlgorithmParameters {
  const hash = `sha${algorithm.slice(2)}` as AlgorithmParameters['hash'];
  switch (algorithm.slice(0, 2)) {
    case 'RS':
      return { hash, padding: 'pkcs1' };
    case 'PS':
      return { hash, padding: 'pss' };
    default:
      return { hash, ecdsa: true };
  }
}
