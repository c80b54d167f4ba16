import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { SsoContext } from '../auth/context.js';
import type { SsoSettings } from '../config/settings.js';
import type { KeyStore } from '../jwt/key-store.js';
import type { SigningThread } from '../jwt/signing-thread.js';
import type { SsoMetrics } from '../observability/metrics.js';
import type { User } from './entities/user.js';
import { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { SessionCache } from './session-cache.js';
import { SessionService, type SessionServiceOptions } from './session-service.js';
import { UserService } from './user-service.js';

/** What the identity service's resolvers work with; created once per service, not per request. */
export interface IdentityComponents {
  settings: SsoSettings;
  keys: KeyStore;
  orm: MikroORM;
  users: UserService;
  sessions: SessionService;
  /** Sessions this process remembers; live only while revocations are sure to reach it. */
  sessionCache: SessionCache;
  /** Where issued tokens and logins are counted; absent while metrics are off. */
  metrics?: SsoMetrics;
  /** Limits failed logins (`loginThrottle` setting); `null`: off. Closed by the service. */
  loginThrottle: LoginThrottle | null;
  /** Where the built-in `encodeJwtToken` signs, off the event loop (`signingThread`); `null`: on it. Closed by the service. */
  signingThread: SigningThread | null;
}

export type IdentityContext = SsoContext<User> & {
  services: IdentityComponents;
  /** The request's logger: it carries the request's `requestId`. */
  logger: Logger;
};

export function createIdentityComponents(
  settings: SsoSettings,
  keys: KeyStore,
  orm: MikroORM,
  options: SessionServiceOptions = {},
  throttleOptions: LoginThrottleOptions = {},
): IdentityComponents {
  const sessionCache = new SessionCache({ ttl: settings.sessionCacheTtl * 1000, now: options.now });
  const users = new UserService(orm, settings, sessionCache);
  const sessions = new SessionService(orm, settings, users, sessionCache, options);
  const loginThrottle = createLoginThrottle(settings, orm, throttleOptions);
  return { settings, keys, orm, users, sessions, sessionCache, loginThrottle, signingThread: null };
}
