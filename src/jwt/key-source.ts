import { KeyStore, type KeySource } from './key-store.js';
import type { TokenSettings } from './options.js';
import { RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set.js';

/** The settings that name keys. */
export type KeySourceSettings = Pick<
  TokenSettings,
  'keyStoreRoot' | 'publicKeys' | 'privateKeys' | 'jwksUrls' | 'decodeAlgorithms' | 'encodeAlgorithm'
>;

export type KeySourceOptions = Pick<RemoteKeySetOptions, 'maxAge' | 'cooldown' | 'timeout' | 'fetch' | 'onError'> & { cwd?: string };

/**
 * The public keys the settings name: PEM files (`publicKeys`/`privateKeys`, read now) and JWKS
 * URLs (`jwksUrls`, fetched when first needed), chosen per issuer.
 */
export function createKeySource(settings: KeySourceSettings, options: KeySourceOptions = {}): KeySource {
  const hasFiles = Object.keys(settings.publicKeys).length + Object.keys(settings.privateKeys).length > 0;
  const store = hasFiles ? KeyStore.load(settings, { cwd: options.cwd }) : null;
  if (Object.keys(settings.jwksUrls).length === 0) return store ?? KeyStore.load(settings);
  const remote = new RemoteKeySet({
    ...options,
    issuers: settings.jwksUrls,
    algorithms: settings.decodeAlgorithms ?? [settings.encodeAlgorithm],
  });
  if (!store) return remote;
  const sourceOf = (issuer: string) => (issuer in settings.jwksUrls ? remote : store);
  return {
    getVerificationKey: (issuer, kid) => sourceOf(issuer).getVerificationKey(issuer, kid),
    issuerOfKey: (kid) => {
      const issuer = remote.issuerOfKey(kid) ?? store.issuerOfKey(kid);
      // Only an issuer whose own source holds the kid: no lookup on its behalf fetches anything.
      return issuer !== undefined && sourceOf(issuer).issuerOfKey(kid) === issuer ? issuer : undefined;
    },
  };
}
