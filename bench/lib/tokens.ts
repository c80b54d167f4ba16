import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings } from '../../src/config/resolve.js';
import type { SsoConfig, SsoSettings } from '../../src/config/settings.js';
import { decodeJwtToken } from '../../src/jwt/decode.js';
import { generateKeyPem } from '../../src/jwt/generate-key.js';
import { KeyStore } from '../../src/jwt/key-store.js';

/** A service's settings and keys, and distinct valid tokens it accepts, as bench input. */
export interface TokenFixture {
  algorithm: 'RS256' | 'ES256';
  settings: SsoSettings;
  keys: KeyStore;
  tokens: string[];
  /** Each token's `header.payload` and its decoded signature: what raw `crypto.verify` takes. */
  signingInputs: Buffer[];
  signatures: Buffer[];
  publicKey: KeyObject;
  publicKeyPem: string;
  /** `RSA-SHA256` or `SHA256` (ECDSA, with `dsaEncoding: 'ieee-p1363'`). */
  digest: string;
  cleanup(): void;
}

export interface TokenFixtureOptions {
  algorithm?: 'RS256' | 'ES256';
  count: number;
  /** Extra settings of the verifying service. */
  config?: SsoConfig;
  /** Seconds from now until the tokens expire (default one hour: longer than any bench). */
  lifetime?: number;
  /** Where to write the key file (kept by `cleanup`); default: a new temporary folder, removed by it. */
  keyDir?: string;
}

export const FIXTURE_KEY_FILE = 'myapp-20200410.pem';

/** The settings of identity `myapp` whose key file is in `keyDir`: the service the tokens are for. */
export function fixtureSettings(keyDir: string, algorithm: 'RS256' | 'ES256' = 'RS256', config: SsoConfig = {}): SsoSettings {
  return resolveSettings({
    identity: 'myapp',
    encodeAlgorithm: algorithm,
    keyStoreRoot: keyDir,
    privateKeys: { myapp: FIXTURE_KEY_FILE },
    ...config,
  });
}

/**
 * `count` distinct authorization tokens of identity `myapp`, shaped as `encodeJwtToken` makes
 * them (header `alg`/`typ`/`kid`; `token`, `sid`, `uid`, `email`, `scopes`, `iss`, `aud`, `exp`,
 * `iat`), signed on the thread pool so that 100k RSA tokens take seconds, not a minute.
 */
export async function createTokenFixture({
  algorithm = 'RS256',
  count,
  config = {},
  lifetime = 3600,
  keyDir,
}: TokenFixtureOptions): Promise<TokenFixture> {
  const root = keyDir ?? mkdtempSync(join(tmpdir(), 'sso-bench-keys-'));
  writeFileSync(join(root, FIXTURE_KEY_FILE), await generateKeyPem(algorithm), { mode: 0o600 });
  const settings = fixtureSettings(root, algorithm, config);
  const keys = KeyStore.load(settings);
  const signing = keys.getSigningKey('myapp');
  const publicKey = keys.getVerificationKey('myapp', signing.kid).publicKey;
  const ecdsa = algorithm === 'ES256';
  const keyInput = ecdsa ? { key: signing.privateKey, dsaEncoding: 'ieee-p1363' as const } : signing.privateKey;

  const header = Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT', kid: signing.kid })).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const signOne = (index: number) => {
    const payload = {
      token: 'auth',
      sid: randomUUID(),
      uid: String(100_000 + index),
      email: `user${index}@example.com`,
      scopes: ['accounts:read-balance'],
      account: String(index % 50),
      iss: 'myapp',
      aud: ['myapp', 'otherapp'],
      exp: iat + lifetime,
      iat,
    };
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return new Promise<[string, Buffer, Buffer]>((resolve, reject) => {
      sign('sha256', Buffer.from(input), keyInput, (error, signature) => {
        if (error) reject(error);
        else resolve([`${input}.${signature.toString('base64url')}`, Buffer.from(input), signature]);
      });
    });
  };

  const tokens: string[] = [];
  const signingInputs: Buffer[] = [];
  const signatures: Buffer[] = [];
  const batch = 512;
  for (let start = 0; start < count; start += batch) {
    const signed = await Promise.all(Array.from({ length: Math.min(batch, count - start) }, (_, k) => signOne(start + k)));
    for (const [token, input, signature] of signed) {
      tokens.push(token);
      signingInputs.push(input);
      signatures.push(signature);
    }
  }
  // The fixture is only good if the library accepts what it made.
  await decodeJwtToken(tokens[0]!, { settings, keys });

  return {
    algorithm,
    settings,
    keys,
    tokens,
    signingInputs,
    signatures,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    digest: ecdsa ? 'SHA256' : 'RSA-SHA256',
    cleanup: () => {
      if (!keyDir) rmSync(root, { recursive: true, force: true });
    },
  };
}
