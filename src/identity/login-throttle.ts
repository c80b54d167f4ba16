import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { SsoSettings } from '../config/settings.js';
import { databaseUnavailableError } from '../lib/database-unavailable.js';
import { ServiceUnavailableError, TooManyRequestsError } from '../errors.js';
import { requireFeature } from '../lib/optional-packages.js';
import { PostgresThrottleStore } from './lib/postgres-throttle-store.js';
import { RedisThrottleStore } from './lib/redis-throttle-store.js';
import type { ThrottleKey, ThrottleKind, ThrottleStore, ThrottleTiming } from './lib/throttle-store.js';

export type { ThrottleKind } from './lib/throttle-store.js';

export interface LoginThrottleOptions {
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
  /** Called for each kind that refused an attempt, e.g. to count refusals in a metric. */
  onThrottled?: (kind: ThrottleKind) => void;
  logger?: Logger;
  /** Prefix of the Redis keys, when `redisUrl` is set (default `sso:login-throttle:`). */
  redisKeyPrefix?: string;
}

/** Who attempts a login: the name typed and the client's address (`null`: unknown, not counted). */
export interface LoginAttempt {
  username: string;
  ip: string | null;
}

type Limits = NonNullable<SsoSettings['loginThrottle']>;

/** A digest of the parts, so that what was typed (sometimes a password, in the wrong field) is never kept. */
function digest(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('hex');
}

/**
 * Limits failed logins across every process of the service, so that they cannot be turned against
 * the users they protect:
 *
 * - per username *and* client address (`usernameAttempts`): a guesser's address is slowed down
 *   without slowing the user down anywhere else;
 * - per username from all addresses together (`usernameTotalAttempts`, far higher, counted in
 *   fixed windows): guesses spread over many addresses; one address alone can never reach it;
 * - per client address over all usernames (`ipAttempts`);
 * - the current password of `changePassword`, per user (`usernameAttempts`): only holders of the
 *   user's session tokens count there, so failed logins never block it.
 *
 * A username is counted exactly as the user lookup compares it (letter case included): a login
 * can reset the counts of its own username only. Each attempt is counted before its password is
 * evaluated, so concurrent attempts cannot overtake the count; past the free attempts, each
 * further one waits a back-off that doubles. A refused attempt runs no bcrypt. A success forgets
 * the counts of its username (or user) and takes the attempt back from the address's. Known and
 * unknown usernames are counted alike.
 */
export class LoginThrottle {
  private readonly now: () => number;
  private readonly pruneTimer: NodeJS.Timeout | null;

  constructor(
    private readonly store: ThrottleStore,
    private readonly limits: Pick<Limits, 'usernameAttempts' | 'usernameTotalAttempts' | 'ipAttempts'>,
    private readonly options: LoginThrottleOptions & { pruneInterval?: number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.pruneTimer = options.pruneInterval ? setInterval(() => void this.pruneQuietly(), options.pruneInterval).unref() : null;
  }

  /**
   * Runs `verify` (the password check of a login) if the attempt may go ahead and returns its
   * result; otherwise throws `TooManyRequestsError` without running it. A `verify` that throws
   * counts as a failed attempt.
   */
  attempt<T>({ username, ip }: LoginAttempt, verify: () => Promise<T>): Promise<T> {
    const keys: ThrottleKey[] = [
      { kind: 'username_ip', key: digest(username, ip ?? ''), freeAttempts: this.limits.usernameAttempts },
      { kind: 'username', key: digest(username), freeAttempts: this.limits.usernameTotalAttempts, fixedWindow: true },
    ];
    // Last: a success takes its attempt back from the address once it has forgotten the others.
    if (ip !== null) keys.push({ kind: 'ip', key: ip, freeAttempts: this.limits.ipAttempts });
    return this.run(keys, verify);
  }

  /**
   * As `attempt`, for the current password `changePassword` asks of a logged-in user: counted per
   * user only, so that nobody without the user's session token can make it wait.
   */
  attemptCurrentPassword<T>(userId: string, verify: () => Promise<T>): Promise<T> {
    return this.run([{ kind: 'password', key: digest(userId), freeAttempts: this.limits.usernameAttempts }], verify);
  }

  private async run<T>(keys: ThrottleKey[], verify: () => Promise<T>): Promise<T> {
    const refusals = await this.store.reserve(keys, this.now()).catch((error: unknown) => {
      // PostgreSQL down answers as every query does then; the one message clients see for it.
      const unavailable = databaseUnavailableError(error);
      if (unavailable) throw unavailable;
      this.options.logger?.error({ err: error }, 'login throttle: its store cannot be reached');
      throw new ServiceUnavailableError('Login is unavailable: the login throttle cannot reach its store.', { cause: error });
    });
    if (refusals.length > 0) {
      for (const { kind } of refusals) this.options.onThrottled?.(kind);
      throw new TooManyRequestsError(Math.max(1, Math.ceil(Math.max(...refusals.map((r) => r.wait)) / 1000)));
    }
    const result = await verify();
    try {
      for (const key of keys) await (key.kind === 'ip' ? this.store.refund(key) : this.store.reset(key));
    } catch (error) {
      // The login stands; the counts stay stricter than they should until the window forgets them.
      this.options.logger?.warn({ err: error }, 'login throttle: could not record a successful login');
    }
    return result;
  }

  /** Deletes the counts the window has forgotten (also done on a timer with the PostgreSQL store). */
  prune(): Promise<number> {
    return this.store.prune(this.now());
  }

  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.store.close();
  }

  private async pruneQuietly(): Promise<void> {
    try {
      await this.prune();
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'login throttle: pruning failed');
    }
  }
}

/**
 * The login throttle the settings describe: counts in Redis when `redisUrl` is set, else in
 * PostgreSQL (pruned once per window, at least hourly); `null` when `loginThrottle` is `null`.
 */
export function createLoginThrottle(settings: SsoSettings, orm: MikroORM, options: LoginThrottleOptions = {}): LoginThrottle | null {
  const limits = settings.loginThrottle;
  if (limits === null) return null;
  const timing: ThrottleTiming = {
    backoffBase: limits.backoff.base * 1000,
    backoffMax: limits.backoff.max * 1000,
    window: limits.window * 1000,
  };
  if (settings.redisUrl === null) {
    return new LoginThrottle(new PostgresThrottleStore(orm, timing), limits, {
      ...options,
      pruneInterval: Math.min(timing.window, 3_600_000),
    });
  }
  // Logins fail (503) after one reconnection attempt rather than wait for Redis to come back.
  // ioredis is loaded only here: a service without `redisUrl` need not install it.
  const { Redis } = requireFeature<typeof import('ioredis')>('the redisUrl setting', 'ioredis', import.meta.url);
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => options.logger?.warn({ err: error }, 'login throttle: Redis connection error'));
  return new LoginThrottle(new RedisThrottleStore(redis, timing, options.redisKeyPrefix ?? 'sso:login-throttle:'), limits, options);
}
