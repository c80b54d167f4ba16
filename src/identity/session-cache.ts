import { LRUCache } from 'lru-cache';
import type { SessionToken } from './entities/session-token.js';

export interface SessionCacheOptions {
  /** Milliseconds an entry is trusted; 0 disables the cache. */
  ttl: number;
  /** Entries kept at most; the least recently used go first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Checked sessions (with their users) a process remembers, so that authenticated requests need
 * no database read. It only answers and stores while `live`: while something guarantees that
 * every change ending a session evicts it here (the `sso_session` notifications). A load that
 * raced with an eviction is not stored (the generation moved on), so a revocation is never hidden.
 * What it held when it stopped being live is kept, unanswered, until its TTL is up: the fallback
 * for while the database cannot be read (`getFallback`). Going live again starts afresh. Bounded
 * and expiring through `lru-cache` (each entry's TTL counted from when it was stored); an index by
 * user, kept in step by its `dispose`, finds a user's sessions to evict.
 */
export class SessionCache {
  private readonly entries: LRUCache<string, SessionToken> | null;
  private readonly byUser = new Map<string, Set<string>>();
  private readonly ttl: number;
  private generationCount = 0;
  private isLive = false;

  constructor(options: SessionCacheOptions) {
    this.ttl = options.ttl;
    const now = options.now;
    this.entries =
      this.ttl > 0
        ? new LRUCache<string, SessionToken>({
            max: options.maxEntries ?? 100_000,
            // lru-cache drops an entry once older than `ttl`; this cache, once `ttl` old.
            ttl: Math.max(this.ttl - 1, 1),
            // Staleness checked against the clock at every read, not one cached for a millisecond.
            ttlResolution: 0,
            ...(now ? { perf: { now } } : {}),
            dispose: (session, id) => this.unindex(session.user.id, id),
          })
        : null;
  }

  get live(): boolean {
    return this.isLive;
  }

  /**
   * Turns caching on (evictions are guaranteed to arrive: forget all, since some may have been
   * missed) or off (they may not: stop answering, keep the entries only as a fallback).
   */
  setLive(live: boolean): void {
    this.isLive = live && this.ttl > 0;
    if (this.isLive) this.clear();
    else this.generationCount += 1;
  }

  /** Taken before a database read; `set` stores its result only if nothing was evicted since. */
  generation(): number {
    return this.generationCount;
  }

  get(id: string): SessionToken | undefined {
    return this.isLive ? this.getFallback(id) : undefined;
  }

  /**
   * An entry within its TTL, live or not: what to go by when the database cannot be read, since a
   * revocation there cannot be read either.
   */
  getFallback(id: string): SessionToken | undefined {
    return this.entries?.get(id);
  }

  set(session: SessionToken, generation: number): void {
    if (!this.entries || !this.isLive || generation !== this.generationCount) return;
    this.entries.delete(session.id);
    this.entries.set(session.id, session);
    const userId = session.user.id;
    let ids = this.byUser.get(userId);
    if (!ids) this.byUser.set(userId, (ids = new Set()));
    ids.add(session.id);
  }

  evictSession(id: string): void {
    this.generationCount += 1;
    this.entries?.delete(id);
  }

  evictUser(userId: string): void {
    this.generationCount += 1;
    for (const id of [...(this.byUser.get(userId) ?? [])]) this.entries?.delete(id);
  }

  clear(): void {
    this.generationCount += 1;
    this.entries?.clear();
    this.byUser.clear();
  }

  get size(): number {
    this.entries?.purgeStale();
    return this.entries?.size ?? 0;
  }

  private unindex(userId: string, id: string): void {
    const ids = this.byUser.get(userId);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(userId);
  }
}
