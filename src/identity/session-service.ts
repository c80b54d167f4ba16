import type { EntityManager, FilterQuery, MikroORM } from '@mikro-orm/postgresql';
import type { RequestInfo, SessionAuthenticator, SsoSettings } from '../config/settings.js';
import { isDatabaseUnavailable } from '../lib/database-unavailable.js';
import { AuthenticationError, ForbiddenError, InputError } from '../errors.js';
import type { TokenPayload } from '../jwt/claims.js';
import { SessionToken } from './entities/session-token.js';
import type { User } from './entities/user.js';
import type { SessionCache } from './session-cache.js';
import { INVALID_CREDENTIALS_MESSAGE, type UserService } from './user-service.js';
import { isUuid } from './lib/uuid.js';

export interface SessionServiceOptions {
  /** `last_used_at` is written at most once per this many milliseconds per session. */
  lastUsedInterval?: number;
  now?: () => number;
}

/** Who asks to see or end sessions: a user, who may be an administrator (the `adminScope`). */
export interface SessionActor {
  userId: string;
  /** The session of the token making the request. */
  sessionId: string;
  admin: boolean;
}

/** Queries and changes of the `SessionToken` aggregate. */
export class SessionService implements SessionAuthenticator {
  private readonly lastUsedInterval: number;
  private readonly now: () => number;
  /** Session reads in flight, by id, with the cache generation each began at (`read`). */
  private readonly reading = new Map<string, { generation: number; session: Promise<SessionToken | null> }>();

  constructor(
    private readonly orm: MikroORM,
    private readonly settings: SsoSettings,
    private readonly users: UserService,
    private readonly cache: SessionCache,
    options: SessionServiceOptions = {},
  ) {
    this.lastUsedInterval = options.lastUsedInterval ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The session a login yields. Like the original, an active session of the same user, client id
   * and user agent is reused (and re-issued) rather than piling up rows; one past
   * `sessionExpiration` or `sessionIdleTimeout` is not.
   *
   * One transaction, the user's row locked first: the session is created only if the user is
   * still active with the `credentialVersion` read with the password (`user`), so a new password,
   * a deactivation or a revoke-all that committed meanwhile refuses the login
   * (`INVALID_CREDENTIALS`), and one that commits later finds the session to revoke. Past
   * `maxSessionsPerUser`, the user's least recently used sessions are revoked in the same
   * transaction, so concurrent logins cannot exceed it.
   */
  async obtain(user: User, clientId: string, request: RequestInfo): Promise<SessionToken> {
    const revoked: string[] = [];
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        const [current] = await em.execute<{ credential_version: number; is_active: boolean }[]>(
          `select "credential_version", "is_active" from "users" where "id" = ? for no key update`,
          [user.id],
        );
        if (!current || !current.is_active || current.credential_version !== user.credentialVersion) {
          throw new AuthenticationError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
        }
        const now = new Date(this.now());
        const where = {
          user: user.id,
          clientId,
          userAgent: request.userAgent,
          ...this.activeAt(now.getTime()),
        } as FilterQuery<SessionToken>;
        let session = await em.findOne(SessionToken, where, { orderBy: { createdAt: 'desc' } });
        if (session) {
          session.version += 1;
        } else {
          session = em.create(SessionToken, {
            user: em.getReference('User', user.id) as User,
            clientId,
            userAgent: request.userAgent,
            createdAt: now,
          });
        }
        session.ipAddress = request.ip;
        session.lastUsedAt = now;
        await em.flush();
        revoked.push(...(await this.revokeBeyondCap(em, user.id, session.id, now)));
        return session;
      });
    } finally {
      for (const id of revoked) this.cache.evictSession(id);
    }
  }

  /**
   * Revokes the user's active sessions past `maxSessionsPerUser`, least recently used first,
   * never `keep` (the session just obtained); returns their ids. The revocation notifies
   * `sso_session` as every other does, so other processes drop them from their caches.
   */
  private async revokeBeyondCap(em: EntityManager, userId: string, keep: string, now: Date): Promise<string[]> {
    const cap = this.settings.maxSessionsPerUser;
    if (cap === null) return [];
    const active = await em.find(
      SessionToken,
      { user: userId, id: { $ne: keep }, ...this.activeAt(now.getTime()) } as FilterQuery<SessionToken>,
      { fields: ['id'], orderBy: { lastUsedAt: 'desc nulls last', createdAt: 'desc' }, offset: cap - 1 },
    );
    if (active.length === 0) return [];
    const ids = active.map((session) => session.id);
    await em.nativeUpdate(SessionToken, { id: { $in: ids }, revokedAt: null }, { revokedAt: now });
    return ids;
  }

  /** An unrevoked, unexpired session of this user, for minting authorization tokens from it. */
  async getActive(id: string, userId: string): Promise<SessionToken> {
    const { session: found } = await this.load(id);
    const session = found && found.user.id === userId ? found : null;
    if (!session) throw new AuthenticationError('SESSION_NOT_FOUND', 'Invalid token: its session does not exist.');
    this.assertActive(session);
    return session;
  }

  /**
   * The user a verified payload stands for (the built-in `authenticatePayload`): the token must be
   * this service's own (`iss` is `identity`); with `verifySessionToken`, its session must exist,
   * belong to `uid`, be neither revoked nor expired, and its user active. Checked sessions are remembered while revocations are sure to evict them.
   */
  authenticate(payload: TokenPayload, request: RequestInfo | undefined): Promise<User> {
    return Promise.resolve(this.authenticateNow(payload, request));
  }

  /** `authenticate`, answering a cached session in use without a promise. */
  authenticateNow(payload: TokenPayload, request: RequestInfo | undefined): User | Promise<User> {
    // The common case, a cached session in use and recorded as used lately, answers without a
    // promise; anything else (and every refusal) takes the full path below.
    const cached = this.settings.verifySessionToken && payload.iss === this.settings.identity ? this.cachedSession(payload) : undefined;
    return cached ? cached.user : this.authenticateFully(payload, request);
  }

  /** The cached session `payload` names, if it passes every check of `authenticateFully` and needs no write. */
  private cachedSession(payload: TokenPayload): SessionToken | undefined {
    const session = typeof payload.sid === 'string' ? this.cache.get(payload.sid) : undefined;
    if (!session || session.user.id !== String(payload.uid) || !session.user.isActive || this.refusalOf(session) !== null) return undefined;
    const recorded = session.lastUsedAt?.getTime();
    return recorded !== undefined && recorded > this.now() - this.lastUsedInterval ? session : undefined;
  }

  private async authenticateFully(payload: TokenPayload, request: RequestInfo | undefined): Promise<User> {
    // Sessions and users are this service's own: another issuer whose key is trusted for its own
    // tokens must not name them (its `sid` and `uid` are readable in any token of the user's).
    if (payload.iss !== this.settings.identity) {
      throw new AuthenticationError('TOKEN_ISSUER_NOT_ACCEPTED', 'Invalid token: it was not issued by this identity service.');
    }
    if (!this.settings.verifySessionToken) {
      const user = await this.users.findById(payload.uid);
      if (!user) throw new AuthenticationError('USER_NOT_FOUND', 'Invalid token: its user does not exist.');
      if (!user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
      return user;
    }
    const { session, remembered } = await this.load(payload.sid);
    if (!session || session.user.id !== String(payload.uid)) {
      throw new AuthenticationError('SESSION_NOT_FOUND', 'Invalid token: its session does not exist.');
    }
    this.assertActive(session);
    if (!session.user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
    if (!remembered) await this.recordUse(session, request);
    return session.user;
  }

  /** The active sessions of a user, most recently used first. */
  async listActive(userId: string): Promise<SessionToken[]> {
    if (!isUuid(userId)) return [];
    return this.orm.em.fork().find(SessionToken, { user: userId, ...this.activeAt(this.now()) } as FilterQuery<SessionToken>, {
      orderBy: { lastUsedAt: 'desc nulls last', createdAt: 'desc' },
    });
  }

  /** The sessions `actor` may list: their own, or anyone's for an administrator. */
  listFor(actor: SessionActor, userId: string = actor.userId): Promise<SessionToken[]> {
    if (userId !== actor.userId && !actor.admin) throw new ForbiddenError("Only an administrator may list another user's sessions.");
    return this.listActive(userId);
  }

  /**
   * Revokes one session: the actor's own, or anyone's for an administrator. `false` when it was
   * already revoked. Another user's session is "not found" to a non-administrator, so session ids
   * cannot be probed.
   */
  async revoke(actor: SessionActor, id: string): Promise<boolean> {
    const session = isUuid(id) ? await this.orm.em.fork().findOne(SessionToken, { id }) : null;
    if (!session || (session.user.id !== actor.userId && !actor.admin)) throw new InputError('Session not found.', 'NOT_FOUND');
    try {
      const revoked = await this.orm.em.fork().nativeUpdate(SessionToken, { id, revokedAt: null }, { revokedAt: new Date(this.now()) });
      return revoked > 0;
    } finally {
      this.cache.evictSession(id);
    }
  }

  /**
   * Revokes every active session of a user (the actor's own unless an administrator), perhaps but
   * one. The user's `credentialVersion` is bumped in the same transaction, so a login whose
   * password check began before cannot create its session after.
   */
  async revokeAll(actor: SessionActor, options: { userId?: string; except?: string } = {}): Promise<number> {
    const userId = options.userId ?? actor.userId;
    if (userId !== actor.userId && !actor.admin) throw new ForbiddenError("Only an administrator may revoke another user's sessions.");
    if (!isUuid(userId)) return 0;
    const where: FilterQuery<SessionToken> = { user: userId, revokedAt: null };
    if (options.except) where.id = { $ne: options.except };
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await em.execute(`update "users" set "credential_version" = "credential_version" + 1 where "id" = ?`, [userId]);
        return em.nativeUpdate(SessionToken, where, { revokedAt: new Date(this.now()) });
      });
    } finally {
      this.cache.evictUser(userId);
    }
  }

  /**
   * The session, from the live cache or the database. While the database cannot be read, a
   * session this process checked within `sessionCacheTtl` is `remembered`: a revocation made
   * meanwhile could not be read either, and the cache would have answered the same had it stayed
   * live. Others fail with the database error (HTTP 503).
   */
  private async load(id: string): Promise<{ session: SessionToken | null; remembered?: boolean }> {
    if (!isUuid(id)) return { session: null };
    const cached = this.cache.get(id);
    if (cached) return { session: cached };
    const generation = this.cache.generation();
    let session: SessionToken | null;
    try {
      session = await this.read(id, generation);
    } catch (error) {
      const remembered = isDatabaseUnavailable(error) ? this.cache.getFallback(id) : undefined;
      if (remembered) return { session: remembered, remembered: true };
      throw error;
    }
    if (session) this.cache.set(session, generation);
    return { session };
  }

  /**
   * The session row with its user. Concurrent loads of one session share a query while the cache
   * is live and nothing has been evicted since the query began: the notifications that would
   * have told otherwise are what the cache answers by too. (A burst of requests right after a
   * login or a restart costs one read, not one per request.) Otherwise each load reads.
   */
  private read(id: string, generation: number): Promise<SessionToken | null> {
    const shared = this.reading.get(id);
    if (shared && shared.generation === generation && this.cache.live) return shared.session;
    const session = this.orm.em.fork().findOne(SessionToken, { id }, { populate: ['user'] });
    if (!this.cache.live) return session;
    const entry = { generation, session };
    this.reading.set(id, entry);
    const done = () => {
      if (this.reading.get(id) === entry) this.reading.delete(id);
    };
    session.then(done, done);
    return session;
  }

  /** What "active" means in queries: unrevoked, within `sessionExpiration` and `sessionIdleTimeout`. */
  private activeAt(now: number): Record<string, unknown> {
    const where: Record<string, unknown> = { revokedAt: null };
    if (this.settings.sessionExpiration !== null) where.createdAt = { $gt: new Date(now - this.settings.sessionExpiration * 1000) };
    if (this.settings.sessionIdleTimeout !== null) where.lastUsedAt = { $gt: new Date(now - this.settings.sessionIdleTimeout * 1000) };
    return where;
  }

  /** Why the session can no longer be used (revoked, expired, idle too long), or `null` while it can. */
  private refusalOf(session: SessionToken): AuthenticationError | null {
    if (session.revokedAt !== null) return new AuthenticationError('SESSION_REVOKED', 'Session has been revoked.');
    const now = this.now();
    const { sessionExpiration, sessionIdleTimeout } = this.settings;
    if (sessionExpiration !== null && session.createdAt.getTime() + sessionExpiration * 1000 <= now) {
      return new AuthenticationError('SESSION_EXPIRED', 'Session has expired: log in again.');
    }
    const lastUsed = (session.lastUsedAt ?? session.createdAt).getTime();
    if (sessionIdleTimeout !== null && lastUsed + sessionIdleTimeout * 1000 <= now) {
      return new AuthenticationError(
        'SESSION_EXPIRED',
        `Session has expired after ${sessionIdleTimeout} seconds without use: log in again.`,
      );
    }
    return null;
  }

  private assertActive(session: SessionToken): void {
    const refusal = this.refusalOf(session);
    if (refusal) throw refusal;
  }

  /** Bounded writes: one per session per `lastUsedInterval`, even across processes. */
  private async recordUse(session: SessionToken, request: RequestInfo | undefined): Promise<void> {
    const now = this.now();
    const cutoff = new Date(now - this.lastUsedInterval);
    if (session.lastUsedAt !== null && session.lastUsedAt > cutoff) return;
    const changes: Partial<SessionToken> = { lastUsedAt: new Date(now) };
    if (request?.ip) changes.ipAddress = request.ip;
    // The cached copy too, so that this process does not try again within the interval.
    session.lastUsedAt = changes.lastUsedAt!;
    try {
      await this.orm.em
        .fork()
        .nativeUpdate(SessionToken, { id: session.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: cutoff } }] }, changes);
    } catch (error) {
      // Bookkeeping: a session already checked is not refused because the database just went away.
      if (!isDatabaseUnavailable(error)) throw error;
    }
  }
}
