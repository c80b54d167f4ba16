/**
 * `graphql-sso/identity`: the identity service. Its packages (MikroORM, type-graphql, Apollo
 * Server, @apollo/subgraph) are optional peer dependencies, loaded here rather than imported, so
 * that a missing one is a `MissingPackageError` naming the install command instead of Node's
 * bare "Cannot find package". The names below are those of `./identity-exports.ts`.
 */
import { importFeature } from './lib/optional-packages.js';

type Identity = typeof import('./identity-exports.js');

const identity: Identity = await importFeature('graphql-sso/identity', () => import('./identity-exports.js'));

export const {
  IdentityService,
  LoginThrottleEntry,
  SessionToken,
  User,
  identityEntities,
  identityMigrations,
  openDatabase,
  openIdentityDatabase,
  migrate,
  databaseUnavailableError,
  isDatabaseUnavailable,
  UserService,
  INVALID_CREDENTIALS_MESSAGE,
  SessionService,
  createIdentityComponents,
  LoginThrottle,
  createLoginThrottle,
  buildIdentitySchema,
  TokenResult,
  UserType,
  SsoMetrics,
  observeDatabase,
} = identity;

// Classes are types too: the same names in the type space.
export type IdentityService = import('./identity-exports.js').IdentityService;
export type LoginThrottleEntry = import('./identity-exports.js').LoginThrottleEntry;
export type SessionToken = import('./identity-exports.js').SessionToken;
export type User = import('./identity-exports.js').User;
export type UserService = import('./identity-exports.js').UserService;
export type SessionService = import('./identity-exports.js').SessionService;
export type LoginThrottle = import('./identity-exports.js').LoginThrottle;
export type TokenResult = import('./identity-exports.js').TokenResult;
export type UserType = import('./identity-exports.js').UserType;
export type SsoMetrics = import('./identity-exports.js').SsoMetrics;

export type {
  IdentityServiceOptions,
  Database,
  DatabaseNotifications,
  DatabaseOptions,
  OpenIdentityDatabaseOptions,
  CreateUserInput,
  SessionServiceOptions,
  IdentityContext,
  IdentityComponents,
  LoginAttempt,
  LoginThrottleOptions,
  ThrottleKind,
  IdentitySchemaOptions,
  DatabaseObserver,
  IssuedTokenType,
  LoginOutcome,
  SsoMetricsOptions,
} from './identity-exports.js';
