import type { SessionToken } from './entities/session-token.js';

export interface SessionCacheOptions {
  /** Milliseconds an entry is trusted; 0 disables the cache. */
  ttl: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  session: SessionToken;
  expiresAt: number;
}

/**
 * Checked sessions (with their users) a process remembers, so that authenticated requests need
 * no database read. It only answers and stores while `live`: while something guarantees that
 * every change ending a session evicts it here (the `sso_session` notifications). A load that
 * raced with an eviction is not stored (the generation moved on), so a revocation is never hidden.
 * What it held when it stopped being live is kept, unanswered, until its TTL is up: the fallback
 * for while the database cannot be read (`getFallback`). Going live again starts afresh.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly ttl: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private generationCount = 0;
  private isLive = false;

  constructor(options: SessionCacheOptions) {
    this.ttl = options.ttl;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
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
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(id);
      return undefined;
    }
    return entry.session;
  }

  set(session: SessionToken, generation: number): void {
    if (!this.isLive || generation !== this.generationCount) return;
    this.remove(session.id);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    this.entries.set(session.id, { session, expiresAt: this.now() + this.ttl });
    const userId = session.user.id;
    let ids = this.byUser.get(userId);
    if (!ids) this.byUser.set(userId, (ids = new Set()));
    ids.add(session.id);
  }

  evictSession(id: string): void {
    this.generationCount += 1;
    this.remove(id);
  }

  evictUser(userId: string): void {
    this.generationCount += 1;
    for (const id of [...(this.byUser.get(userId) ?? [])]) this.remove(id);
  }

  clear(): void {
    this.generationCount += 1;
    this.entries.clear();
    this.byUser.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const userId = entry.session.user.id;
    const ids = this.byUser.get(userId);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(userId);
  }
}
