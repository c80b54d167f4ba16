import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TokenPayload } from './claims.js';
import type { KeySource, VerificationKey } from './key-store.js';
import type { TokenSettings } from './options.js';
import { hasExpired, isNotYetValid } from './lib/validate-claims.js';

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered (default 10,000); beyond it the least recently used are forgotten. */
  maxEntries?: number;
}

export interface VerifiedTokenCacheStats {
  size: number;
  maxEntries: number;
  /** Verifications answered from the cache. */
  hits: number;
  /** Lookups that found nothing usable (unknown token, other settings, key changed, expired). */
  misses: number;
  evictions: number;
}

/** What is remembered of one verified token. */
export interface VerifiedToken {
  /** Frozen: every request presenting the token shares it. */
  payload: TokenPayload;
  /** The key object that verified the signature; the token is served only while it is still the one its `kid` finds. */
  key: VerificationKey;
  /** The token header's `kid` (`undefined`: the issuer's current key). */
  kid: string | undefined;
  /** The settings it was verified under; other settings do not see it. */
  settings: TokenSettings;
}

/** Tokens longer than this are verified every time: it bounds what one entry can hold. */
const MAX_CACHED_TOKEN_LENGTH = 8192;

const DEFAULT_MAX_ENTRIES = 10_000;

// `crypto.hash` (one-shot, about twice as fast) arrived in Node 20.12; `createHash` before it.
const digest: (token: string) => string =
  typeof crypto.hash === 'function'
    ? (token) => crypto.hash('sha256', token, 'binary')
    : (token) => crypto.createHash('sha256').update(token).digest('binary');

/** Freezes a parsed JSON value through and through (no cycles: it came from JSON.parse). */
function deepFreeze(value: object): void {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) deepFreeze(item);
    return;
  }
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) deepFreeze(item);
  }
}

/**
 * Remembers tokens whose signature and claims `decodeJwtToken` has verified, so that a token
 * presented again costs a SHA-256 digest and a lookup instead of a signature verification.
 *
 * - Bounded: at most `maxEntries` entries, the least recently used evicted (`lru-cache`). An entry
 *   holds a 32-byte SHA-256 digest of the token (not the token: half the memory, and no bearer
 *   credential kept) and the frozen payload, about 0.6 KiB for a typical token; tokens longer than
 *   `MAX_CACHED_TOKEN_LENGTH` are never stored, so no entry exceeds a few KiB.
 * - Never serves a token past its `exp` (nor before its `nbf`): checked at every hit by the rules
 *   and the `expirationLeeway` of `validateClaims`.
 * - Bound to its context: an entry is served only under the very settings object it was verified
 *   under, and only while the key source still returns the very key object that verified it for
 *   the token's `iss` and `kid` — `KeyStore#reload`, a removed key or a refetched JWKS all make new
 *   key objects, so every token is verified afresh after them. (A custom `KeySource` must return
 *   the same object for the same key for tokens to hit; a new object per lookup is safe, never hits.)
 * - Only the signature and the claims are cached, and only successes: revocation (the session
 *   check of `authenticatePayload`) still runs on every request.
 *
 * It belongs to one service: `createSsoContext` makes one per context (setting
 * `verifiedTokenCacheSize`); pass it to `decodeJwtToken` as `cache` in the token context.
 */
export class VerifiedTokenCache {
  readonly maxEntries: number;
  private readonly entries: LRUCache<string, VerifiedToken>;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a whole number of 1 or more (got ${maxEntries})`);
    this.maxEntries = maxEntries;
    this.entries = new LRUCache({
      max: maxEntries,
      dispose: (_token, _id, reason) => {
        if (reason === 'evict') this.evictions += 1;
      },
    });
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): VerifiedTokenCacheStats {
    return { size: this.entries.size, maxEntries: this.maxEntries, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }

  /** Forgets every token. */
  clear(): void {
    this.entries.clear();
  }

  /** The cache key of a token (its SHA-256 digest), or `undefined` when it is too long to be remembered. */
  idOf(token: string): string | undefined {
    return token.length <= MAX_CACHED_TOKEN_LENGTH ? digest(token) : undefined;
  }

  /**
   * The payload remembered under `id` if it may be served now: verified under `settings`, its key
   * still the one `keys` finds, inside its lifetime at `now` (seconds). Otherwise `undefined` (the
   * caller verifies the token afresh). A promise only when `keys` answers with one.
   */
  get(id: string, settings: TokenSettings, keys: KeySource, now: number): TokenPayload | undefined | Promise<TokenPayload | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.settings !== settings) return this.miss();
    const { payload } = entry;
    const leeway = settings.expirationLeeway;
    if (
      (settings.verifyExpiration && payload.exp !== undefined && hasExpired(payload.exp, now, leeway)) ||
      (payload.nbf !== undefined && isNotYetValid(payload.nbf, now, leeway))
    ) {
      return this.forget(id);
    }
    let current: VerificationKey | Promise<VerificationKey>;
    try {
      current = keys.getVerificationKey(payload.iss, entry.kid);
    } catch {
      return this.forget(id);
    }
    if (current instanceof Promise) {
      return current.then(
        (key) => (key === entry.key ? this.hit(payload) : this.forget(id)),
        () => this.forget(id),
      );
    }
    return current === entry.key ? this.hit(payload) : this.forget(id);
  }

  /** Remembers a verified token; its payload is frozen (and so is the one the caller returns). */
  set(id: string, token: VerifiedToken): void {
    deepFreeze(token.payload);
    this.entries.set(id, { payload: token.payload, key: token.key, kid: token.kid, settings: token.settings });
  }

  private hit(payload: TokenPayload): TokenPayload {
    this.hits += 1;
    return payload;
  }

  private miss(): undefined {
    this.misses += 1;
    return undefined;
  }

  private forget(id: string): undefined {
    this.entries.delete(id);
    return this.miss();
  }
}
