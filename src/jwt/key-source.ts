import type { SsoSettings } from '../config/settings.js';
import { KeyStore, type KeySource } from './key-store.js';
import { RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set.js';

export type KeySourceOptions = Pick<RemoteKeySetOptions, 'maxAge' | 'cooldown' | 'timeout' | 'fetch' | 'onError'> & { cwd?: string };

/**
 * The public keys the settings name: PEM files (`publicKeys`/`privateKeys`, read now) and JWKS
 * URLs (`jwksUrls`, fetched when first needed), chosen per issuer.
 */
export function createKeySource(settings: SsoSettings, options: KeySourceOptions = {}): KeySource {
  const hasFiles = Object.keys(settings.publicKeys).length + Object.keys(settings.privateKeys).length > 0;
  const store = hasFiles ? KeyStore.load(settings, { cwd: options.cwd }) : null;
  if (Object.keys(settings.jwksUrls).length === 0) return store ?? KeyStore.load(settings);
  const remote = new RemoteKeySet({ ...options, issuers: settings.jwksUrls, algorithms: settings.decodeAlgorithms ?? [settings.encodeAlgorithm] });
  if (!store) return remote;
  return {
    getVerificationKey: (issuer, kid) => (issuer in settings.jwksUrls ? remote : store).getVerificationKey(issuer, kid),
  };
}
