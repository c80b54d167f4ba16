/**
 * `graphql-sso`: what every service of a federation needs to accept graphql-sso tokens — settings,
 * keys, tokens, the request context, and the authorization directives. It loads `graphql`, the
 * JWT code and small helpers only; the identity service is `graphql-sso/identity`, the gateway
 * helpers `graphql-sso/gateway`.
 */
export {
  AuthenticationError,
  ForbiddenError,
  HookError,
  InputError,
  JwtClaimError,
  JwtExpiredError,
  KeyError,
  MissingPackageError,
  RequestError,
  ServiceUnavailableError,
  SettingsError,
  SsoError,
  TooManyRequestsError,
  type SsoErrorCode,
} from './errors.js';

export { TOKEN_AUTHORIZATION, TOKEN_SESSION, type TokenPayload, type TokenType, type UnsignedPayload } from './jwt/claims.js';
export { createAuthorizationPayload, createSessionPayload, type PayloadSource, type SessionLike, type UserLike } from './jwt/payloads.js';
export { encodeJwtToken } from './jwt/encode.js';
export { decodeJwtToken } from './jwt/decode.js';
export type { DecodeJwtToken, EncodeJwtToken, TokenContext, TokenSettings } from './jwt/options.js';
export {
  VerifiedTokenCache,
  type VerifiedToken,
  type VerifiedTokenCacheOptions,
  type VerifiedTokenCacheStats,
} from './jwt/verified-token-cache.js';
export {
  KeyStore,
  keyIdFromFileName,
  type JwksKey,
  type KeySource,
  type KeyStoreLoadOptions,
  type KeyStoreReloadOptions,
  type KeyStoreSettings,
  type SigningKey,
  type SigningKeySource,
  type VerificationKey,
} from './jwt/key-store.js';
export { generateKeyPem, writeKeyFile, type WriteKeyFileOptions } from './jwt/generate-key.js';
export { RemoteKeySet, type RemoteKeySetOptions } from './jwt/remote-key-set.js';
export { createKeySource, type KeySourceOptions, type KeySourceSettings } from './jwt/key-source.js';
export { SUPPORTED_ALGORITHMS, type Algorithm } from './jwt/lib/algorithms.js';

export { defineConfig } from './config/define-config.js';
export { DEFAULT_SETTINGS, resolveSettings } from './config/resolve.js';
export { loadConfig, type LoadConfigOptions } from './config/load.js';
export type {
  AnyClass,
  ApplicationEntity,
  ApplicationMigration,
  AuthenticateContext,
  AuthenticatePayload,
  CreatePayload,
  EntitySchemaLike,
  LoginThrottleConfig,
  LoginThrottleSettings,
  MigrationClass,
  PayloadInput,
  RequestInfo,
  RequestLimits,
  SessionAuthenticator,
  SsoConfig,
  SsoSettings,
} from './config/settings.js';

export { authenticatePayload } from './config/authenticate-payload.js';
export { createSsoContext, type SsoContext, type SsoContextArgs, type SsoContextOptions } from './auth/context.js';
export type { ForkableOrm } from './auth/lib/forked-entity-manager.js';
export { LazyUser, type UserOutcome } from './auth/lazy-user.js';
export { ssoAuthChecker } from './auth/auth-checker.js';
export { formatSsoError, toGraphQLError, type ToGraphQLErrorOptions } from './auth/graphql-errors.js';
export { normalizeError, type ClientErrorCode, type NormalizedError, type NormalizeErrorOptions } from './lib/normalize-error.js';
export { parseAuthorizationHeader, type ParseAuthorizationHeaderOptions } from './auth/header.js';

export { applyAuthDirectives } from './auth/directives/apply.js';
export { authDirectivesPlugin } from './auth/directives/reject-plugin.js';
export { definePolicies } from './auth/directives/policies.js';
export { defaultExtractScopes, defaultGetClaims, defaultGetUser } from './auth/directives/defaults.js';
export { authDirectiveTypeDefs } from './auth/directives/type-defs.js';
export type {
  AuthDirectivesOptions,
  Claims,
  DirectiveNames,
  Policies,
  Policy,
  PolicyInput,
  RejectOptions,
  ResolveNullOptions,
} from './auth/directives/types.js';

export { requestLimits, type ApolloRequestLimits, type RequestLimitsOptions } from './server/limits/request-limits.js';
export { operationLimitsRule, type OperationLimits } from './server/limits/operation-limits-rule.js';
export type { ResolverMap } from './lib/resolver-map.js';
export { errorLogPlugin } from './server/error-log-plugin.js';
export { serviceUnavailableStatusPlugin } from './server/plugins/service-unavailable-status.js';

export { createSsoLogger, LOG_REDACT_PATHS } from './observability/logger.js';
export { createRequestLog, type RequestLogOptions } from './observability/request-log.js';
export type { TokenVerificationObserver, VerificationOutcome } from './observability/metrics.js';
