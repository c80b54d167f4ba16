import 'reflect-metadata';

export * from './errors.js';

export * as claims from './jwt/claims.js';
export type { TokenPayload, TokenType, UnsignedPayload } from './jwt/claims.js';
export { createAuthorizationPayload, createSessionPayload } from './jwt/payloads.js';
export { encodeJwtToken } from './jwt/encode.js';
export { decodeJwtToken } from './jwt/decode.js';
export {
  VerifiedTokenCache,
  MAX_CACHED_TOKEN_LENGTH,
  type VerifiedToken,
  type VerifiedTokenCacheOptions,
  type VerifiedTokenCacheStats,
} from './jwt/verified-token-cache.js';
export { KeyStore, keyIdFromFileName } from './jwt/key-store.js';
export type { KeySource, KeyStoreSettings, KeyStoreLoadOptions, KeyStoreReloadOptions, SigningKey, VerificationKey, JwksKey } from './jwt/key-store.js';
export { checkIssuerName, generateKeyPem, writeKeyFile } from './jwt/generate-key.js';
export { rotateKey, type RotateKeyOptions, type RotateKeyResult } from './cli/rotate-key.js';
export { RemoteKeySet, type RemoteKeySetOptions } from './jwt/remote-key-set.js';
export { createKeySource, type KeySourceOptions } from './jwt/key-source.js';
export { SUPPORTED_ALGORITHMS, type Algorithm } from './jwt/lib/algorithms.js';

export { defineConfig } from './config/define-config.js';
export { DEFAULT_SETTINGS, resolveSettings } from './config/resolve.js';
export { loadConfig } from './config/load.js';
export type * from './config/settings.js';

export { createSsoContext, type SsoContext, type SsoContextArgs, type SsoContextOptions } from './auth/context.js';
export { ssoAuthChecker } from './auth/auth-checker.js';
export { formatSsoError, toGraphQLError } from './auth/graphql-errors.js';
export { parseAuthorizationHeader, type ParseAuthorizationHeaderOptions } from './auth/header.js';

export { User, SessionToken, identityEntities } from './identity/entities/index.js';
export { identityMigrations } from './identity/migrations/index.js';
export { authenticatePayload } from './identity/authenticate-payload.js';
export { UserService, INVALID_CREDENTIALS_MESSAGE, type CreateUserInput } from './identity/user-service.js';
export { SessionService, type SessionServiceOptions } from './identity/session-service.js';
export { createIdentityServices, type IdentityContext, type IdentityServices } from './identity/services.js';
export { LoginThrottle, createLoginThrottle, type LoginAttempt, type LoginThrottleOptions, type ThrottleKind } from './identity/login-throttle.js';
export { buildIdentitySchema, type IdentitySchemaOptions } from './identity/schema.js';
export { TokenResult, UserType } from './identity/graphql/types.js';

export { IdentityService, type IdentityServiceOptions } from './server/identity-service.js';
export { requestLimits, type ApolloRequestLimits, type RequestLimitsOptions } from './server/limits/request-limits.js';
export { operationLimitsRule, type OperationLimits } from './server/limits/operation-limits-rule.js';
export { openDatabase, migrate, type Database, type DatabaseOptions } from './db/index.js';
export { hideQueriesInErrors } from './db/query-errors.js';

export {
  SsoMetrics,
  type SsoMetricsOptions,
  type TokenVerificationObserver,
  type DatabaseObserver,
  type IssuedTokenType,
  type VerificationOutcome,
  type LoginOutcome,
} from './observability/metrics.js';
export { observeDatabase } from './observability/observe-database.js';
export { serveMetrics } from './observability/serve-metrics.js';
export { startRequestLog, requestIdOf, REQUEST_ID_HEADER, type RequestLogOptions } from './observability/request-log.js';
export { createSsoLogger, LOG_REDACT_PATHS, REDACTED } from './observability/logger.js';
export { errorLogPlugin } from './server/error-log-plugin.js';
export { databaseUnavailableError, isDatabaseUnavailable } from './db/unavailable.js';
export { serviceUnavailableStatusPlugin } from './server/plugins/service-unavailable-status.js';

export * from './auth/directives/index.js';
export * from './server/gateway/index.js';
