import type { MikroORM } from '@mikro-orm/postgresql';
import type { SsoContext } from '../auth/context.js';
import type { SsoSettings } from '../config/settings.js';
import type { KeyStore } from '../jwt/key-store.js';
import type { User } from './entities/user.js';
import { SessionService, type SessionServiceOptions } from './session-service.js';
import { UserService } from './user-service.js';

/** What the identity service's resolvers work with; created once per service, not per request. */
export interface IdentityServices {
  settings: SsoSettings;
  keys: KeyStore;
  orm: MikroORM;
  users: UserService;
  sessions: SessionService;
}

export type IdentityContext = SsoContext<User> & { services: IdentityServices };

export function createIdentityServices(
  settings: SsoSettings,
  keys: KeyStore,
  orm: MikroORM,
  options: SessionServiceOptions = {},
): IdentityServices {
  const users = new UserService(orm, settings);
  const sessions = new SessionService(orm, settings, users, options);
  return { settings, keys, orm, users, sessions };
}
