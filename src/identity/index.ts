/**
 * What `graphql-sso/identity` serves (`src/identity.ts` loads it): the identity service, its
 * entities and migrations, the database, and the services behind its resolvers.
 */
export { IdentityService, type IdentityServiceOptions } from '../server/identity-service.js';
export { LoginThrottleEntry, SessionToken, User, identityEntities } from './entities/index.js';
export { identityMigrations } from './migrations/index.js';
export { openDatabase, migrate, type Database, type DatabaseOptions } from '../db/database.js';
export { openIdentityDatabase, type OpenIdentityDatabaseOptions } from './database.js';
export { databaseUnavailableError, isDatabaseUnavailable } from '../db/unavailable.js';
export { UserService, INVALID_CREDENTIALS_MESSAGE, type CreateUserInput } from './user-service.js';
export { SessionService, type SessionServiceOptions } from './session-service.js';
export { createIdentityServices, type IdentityContext, type IdentityServices } from './services.js';
export {
  LoginThrottle,
  createLoginThrottle,
  type LoginAttempt,
  type LoginThrottleOptions,
  type ThrottleKind,
} from './login-throttle.js';
export { buildIdentitySchema, type IdentitySchemaOptions } from './schema.js';
export { TokenResult, UserType } from './graphql/types.js';
export {
  SsoMetrics,
  type DatabaseObserver,
  type IssuedTokenType,
  type LoginOutcome,
  type SsoMetricsOptions,
} from '../observability/metrics.js';
export { observeDatabase } from '../observability/observe-database.js';
