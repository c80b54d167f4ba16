import type { KeyObject } from 'node:crypto';

/** Asymmetric JWS algorithms only: no `none`, no HMAC, so no HS/RS confusion is possible. */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;

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

const PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'] as const;

/**
 * An RSASSA-PSS key carries the parameters it may be used with: the one hash of its PS algorithm
 * (also for MGF1) and a salt no longer than that hash. jsonwebtoken refuses any other pairing, and
 * a key without parameters altogether.
 */
function pssParametersAllow(key: KeyObject, algorithm: (typeof PSS_ALGORITHMS)[number]): boolean {
  const bits = Number(algorithm.slice(2));
  const details = key.asymmetricKeyDetails;
  return (
    details?.hashAlgorithm === `sha${bits}` &&
    details.mgf1HashAlgorithm === details.hashAlgorithm &&
    (details.saltLength === undefined || details.saltLength <= bits / 8)
  );
}

/** The algorithms a key may be used with, by the key's own type: an RSA key never verifies ES256. */
export function algorithmsForKey(key: KeyObject): Algorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return PSS_ALGORITHMS.filter((algorithm) => pssParametersAllow(key, algorithm));
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const algorithm = curve ? EC_CURVE_ALGORITHM[curve] : undefined;
      return algorithm ? [algorithm] : [];
    }
    default:
      return [];
  }
}
