import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AuthenticationError, ServiceUnavailableError } from '../errors.js';
import type { KeySource, VerificationKey } from './key-store.js';
import { algorithmsForKey, isSupportedAlgorithm, type Algorithm } from './lib/algorithms.js';

export interface RemoteKeySetOptions {
  /** Issuer -> the URL of its JSON Web Key Set (the identity service's `/.well-known/jwks.json`). */
  issuers: Record<string, string>;
  /** Algorithms tokens may use (`decodeAlgorithms`); keys are also limited to their own type's. */
  algorithms: readonly Algorithm[];
  /** Keys are refetched after this many milliseconds (default 10 minutes). */
  maxAge?: number;
  /** An unknown `kid` triggers at most one refetch per this many milliseconds (default 30 s). */
  cooldown?: number;
  /** A fetch taking longer fails (default 5 s). */
  timeout?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  /** Told about failed fetches; the keys already cached stay in use. */
  onError?: (error: Error, issuer: string) => void;
}

interface IssuerCache {
  issuer: string;
  url: string;
  /** At least one fetch succeeded. */
  loaded: boolean;
  keys: Map<string, VerificationKey>;
  first: VerificationKey | undefined;
  fetchedAt: number;
  attemptedAt: number;
  inFlight: Promise<void> | undefined;
}

function importJwk(issuer: string, jwk: JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown }, allowed: readonly Algorithm[]) {
  if (typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) return null;
  if ('d' in jwk) return null; // a private key in a public key set: never use it
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return null;
  }
  let algorithms = algorithmsForKey(publicKey).filter((a) => allowed.includes(a));
  if (jwk.alg !== undefined) algorithms = isSupportedAlgorithm(jwk.alg) ? algorithms.filter((a) => a === jwk.alg) : [];
  return algorithms.length > 0 ? { issuer, kid: jwk.kid, publicKey, algorithms } : null;
}

/**
 * Public keys fetched from issuers' JWKS URLs. Keys are cached for `maxAge`; an unknown `kid`
 * refetches at most once per `cooldown`; concurrent callers share one fetch; when a fetch fails
 * the cached keys keep verifying, so an identity-service outage does not stop other services.
 */
export class RemoteKeySet implements KeySource {
  private readonly caches = new Map<string, IssuerCache>();
  private readonly maxAge: number;
  private readonly cooldown: number;
  private readonly timeout: number;
  private readonly fetch: typeof globalThis.fetch;
  private readonly now: () => number;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.maxAge = options.maxAge ?? 10 * 60_000;
    this.cooldown = options.cooldown ?? 30_000;
    this.timeout = options.timeout ?? 5_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    for (const [issuer, url] of Object.entries(options.issuers)) {
      this.caches.set(issuer, {
        issuer,
        url,
        loaded: false,
        keys: new Map(),
        first: undefined,
        fetchedAt: -Infinity,
        attemptedAt: -Infinity,
        inFlight: undefined,
      });
    }
  }

  async getVerificationKey(issuer: string, kid: string | undefined): Promise<VerificationKey> {
    const cache = this.caches.get(issuer);
    if (!cache) throw new AuthenticationError('KEY_NOT_FOUND', 'Unauthorized token signing key.');
    if (this.now() - cache.fetchedAt > this.maxAge) await this.refresh(cache);
    let key = kid === undefined ? cache.first : cache.keys.get(kid);
    if (!key && this.now() - cache.attemptedAt >= this.cooldown) {
      await this.refresh(cache);
      key = kid === undefined ? cache.first : cache.keys.get(kid);
    }
    if (key) return key;
    if (!cache.loaded) {
      throw new ServiceUnavailableError(`The signing keys of issuer "${issuer}" cannot be fetched right now; try again shortly.`);
    }
    throw new AuthenticationError('KEY_NOT_FOUND', 'Unauthorized token signing key.');
  }

  /** The one issuer whose keys fetched so far include `kid` (without `kid`: the one issuer, once fetched). */
  issuerOfKey(kid: string | undefined): string | undefined {
    let found: string | undefined;
    for (const cache of this.caches.values()) {
      if (kid === undefined ? cache.first === undefined : !cache.keys.has(kid)) continue;
      if (found !== undefined) return undefined;
      found = cache.issuer;
    }
    return found;
  }

  /** Fetches every issuer's keys now, e.g. at start-up; failures are reported, not thrown. */
  async preload(): Promise<void> {
    await Promise.all([...this.caches.values()].map((cache) => this.refresh(cache)));
  }

  private refresh(cache: IssuerCache): Promise<void> {
    cache.inFlight ??= this.load(cache).finally(() => {
      cache.inFlight = undefined;
    });
    return cache.inFlight;
  }

  private async load(cache: IssuerCache): Promise<void> {
    const { issuer } = cache;
    cache.attemptedAt = this.now();
    try {
      const response = await this.fetch(cache.url, { signal: AbortSignal.timeout(this.timeout), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`GET ${cache.url} answered HTTP ${response.status}`);
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error(`GET ${cache.url} did not return a JSON Web Key Set`);
      const keys = new Map<string, VerificationKey>();
      let first: VerificationKey | undefined;
      for (const jwk of body.keys) {
        const key = jwk && typeof jwk === 'object' ? importJwk(issuer, jwk as JsonWebKey, this.options.algorithms) : null;
        if (key && !keys.has(key.kid)) {
          keys.set(key.kid, key);
          first ??= key;
        }
      }
      cache.keys = keys;
      cache.first = first;
      cache.fetchedAt = this.now();
      cache.loaded = true;
    } catch (error) {
      // Keep what we have; retry after the cooldown rather than on every request.
      cache.fetchedAt = Math.max(cache.fetchedAt, this.now() - this.maxAge + this.cooldown);
      this.options.onError?.(error as Error, issuer);
    }
  }
}
