import type { MikroORM } from '@mikro-orm/postgresql';
import type { RequestInfo, SessionAuthenticator, SsoSettings } from '../config/settings.js';
import { AuthenticationError } from '../errors.js';
import type { TokenPayload } from '../jwt/claims.js';
import { SessionToken } from './entities/session-token.js';
import type { User } from './entities/user.js';
import type { UserService } from './user-service.js';

export interface SessionServiceOptions {
  /** `last_used_at` is written at most once per this many milliseconds per session. */
  lastUsedInterval?: number;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Queries and changes of the `SessionToken` aggregate. */
export class SessionService implements SessionAuthenticator {
  private readonly lastUsedInterval: number;
  private readonly now: () => number;

  constructor(
    private readonly orm: MikroORM,
    private readonly settings: SsoSettings,
    private readonly users: UserService,
    options: SessionServiceOptions = {},
  ) {
    this.lastUsedInterval = options.lastUsedInterval ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The session a login yields. Like the original, an active session of the same user, client id
   * and user agent is reused (and re-issued) rather than piling up rows; one past
   * `sessionExpiration` is not.
   */
  async obtain(user: User, clientId: string, request: RequestInfo): Promise<SessionToken> {
    const em = this.orm.em.fork();
    const now = new Date(this.now());
    const where: Record<string, unknown> = { user: user.id, clientId, userAgent: request.userAgent, revokedAt: null };
    if (this.settings.sessionExpiration !== null) {
      where.createdAt = { $gt: new Date(now.getTime() - this.settings.sessionExpiration * 1000) };
    }
    let session = await em.findOne(SessionToken, where, { orderBy: { createdAt: 'desc' } });
    if (session) {
      session.version += 1;
    } else {
      session = em.create(SessionToken, { user: em.getReference('User', user.id) as User, clientId, userAgent: request.userAgent, createdAt: now });
    }
    session.ipAddress = request.ip;
    session.lastUsedAt = now;
    await em.flush();
    return session;
  }

  /** An unrevoked session of this user, for minting authorization tokens from it. */
  async getActive(id: string, userId: string): Promise<SessionToken> {
    const session = UUID.test(id) ? await this.orm.em.fork().findOne(SessionToken, { id, user: userId }) : null;
    if (!session) throw new AuthenticationError('SESSION_NOT_FOUND', 'Invalid token: its session does not exist.');
    if (session.revokedAt !== null) throw new AuthenticationError('SESSION_REVOKED', 'Session has been revoked.');
    return session;
  }

  /**
   * The user a verified payload stands for (the built-in `authenticatePayload`): with
   * `verifySessionToken`, its session must exist, belong to `uid` and not be revoked.
   */
  async authenticate(payload: TokenPayload, request: RequestInfo | undefined): Promise<User> {
    if (!this.settings.verifySessionToken) {
      const user = await this.users.findById(payload.uid);
      if (!user) throw new AuthenticationError('USER_NOT_FOUND', 'Invalid token: its user does not exist.');
      if (!user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
      return user;
    }
    const em = this.orm.em.fork();
    const session = UUID.test(payload.sid) ? await em.findOne(SessionToken, { id: payload.sid }, { populate: ['user'] }) : null;
    if (!session || session.user.id !== String(payload.uid)) {
      throw new AuthenticationError('SESSION_NOT_FOUND', 'Invalid token: its session does not exist.');
    }
    if (session.revokedAt !== null) throw new AuthenticationError('SESSION_REVOKED', 'Session has been revoked.');
    if (!session.user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
    await this.recordUse(session, request);
    return session.user;
  }

  /** Bounded writes: one per session per `lastUsedInterval`, even across processes. */
  private async recordUse(session: SessionToken, request: RequestInfo | undefined): Promise<void> {
    const now = this.now();
    const cutoff = new Date(now - this.lastUsedInterval);
    if (session.lastUsedAt !== null && session.lastUsedAt > cutoff) return;
    const changes: Partial<SessionToken> = { lastUsedAt: new Date(now) };
    if (request?.ip) changes.ipAddress = request.ip;
    await this.orm.em.fork().nativeUpdate(
      SessionToken,
      { id: session.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: cutoff } }] },
      changes,
    );
  }
}
