/**
 * What `graphql-sso/identity` names (`src/identity.ts` loads it): the identity service, its
 * entities and migrations, the database, and the services behind its resolvers.
 */
export { IdentityService, type IdentityServiceOptions } from './server/identity-service.js';
export { LoginThrottleEntry, SessionToken, User, identityEntities } from './identity/entities/index.js';
export { identityMigrations } from './identity/migrations/index.js';
export { openDatabase, migrate, type Database, type DatabaseOptions } from './db/database.js';
export type { DatabaseNotifications } from './db/notifications.js';
export { openIdentityDatabase, type OpenIdentityDatabaseOptions } from './identity/database.js';
export { databaseUnavailableError, isDatabaseUnavailable } from './lib/database-unavailable.js';
export { UserService, INVALID_CREDENTIALS_MESSAGE, type CreateUserInput } from './identity/user-service.js';
export { SessionService, type SessionServiceOptions } from './identity/session-service.js';
export { createIdentityComponents, type IdentityContext, type IdentityComponents } from './identity/components.js';
export {
  LoginThrottle,
  createLoginThrottle,
  type LoginAttempt,
  type LoginThrottleOptions,
  type ThrottleKind,
} from './identity/login-throttle.js';
export { buildIdentitySchema, type IdentitySchemaOptions } from './identity/schema.js';
export { TokenResult, UserType } from './identity/graphql/types.js';
export {
  SsoMetrics,
  type DatabaseObserver,
  type IssuedTokenType,
  type LoginOutcome,
  type SsoMetricsOptions,
} from './observability/metrics.js';
export { observeDatabase } from './observability/observe-database.js';
