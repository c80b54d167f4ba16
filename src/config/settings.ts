import type { Algorithm } from '../jwt/lib/algorithms.js';
import type { TokenPayload, UnsignedPayload } from '../jwt/claims.js';
import type { DecodeJwtToken, EncodeJwtToken } from '../jwt/options.js';
import type { SessionLike, UserLike } from '../jwt/payloads.js';

/** What a request tells about its client, for session bookkeeping. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string;
}

/**
 * What `createSessionPayload` and `createAuthorizationPayload` receive. `TEntityManager` is the
 * type of `em`: the identity service hands hooks a fork of its MikroORM EntityManager, so write
 * `PayloadInput<MyArgs, EntityManager>` with `EntityManager` from `@mikro-orm/postgresql`. (The
 * default keeps this package's types free of the ORM, which subgraphs do not install.)
 */
export interface PayloadInput<TArgs = Record<string, unknown>, TEntityManager = unknown> {
  sessionToken: SessionLike;
  user: UserLike;
  /** For authorization tokens: the arguments of `obtainAuthorizationToken` (the user's ArgsType). */
  args: TArgs;
  settings: SsoSettings;
  /** A forked EntityManager, to look up what the payload needs (e.g. the user's role in an account). */
  em?: TEntityManager;
  request?: RequestInfo;
}

/**
 * `createSessionPayload` / `createAuthorizationPayload`. Throw `ForbiddenError` to refuse the
 * token; what is not an `SsoError`, a `GraphQLError` or a database outage becomes a `HookError`:
 * clients read `INTERNAL_SERVER_ERROR` `Internal server error.`, the logs its cause.
 */
export type CreatePayload<TArgs = Record<string, unknown>, TEntityManager = any> = (
  input: PayloadInput<TArgs, TEntityManager>,
) => UnsignedPayload | Promise<UnsignedPayload>;

/** Session lookups the built-in `authenticatePayload` needs (the identity service provides them). */
export interface SessionAuthenticator {
  authenticate(payload: TokenPayload, request: RequestInfo | undefined): Promise<UserLike>;
}

/**
 * What `authenticatePayload` receives beside the payload. `em` is a fork of the EntityManager of
 * the `orm` given to `createSsoContext` (type it with `AuthenticateContext<EntityManager>`).
 */
export interface AuthenticateContext<TEntityManager = unknown> {
  settings: SsoSettings;
  em?: TEntityManager;
  sessions?: SessionAuthenticator;
  request?: RequestInfo;
}

/**
 * `authenticatePayload`: the user a verified payload stands for. Throw `AuthenticationError` to
 * refuse it; an unexpected error becomes a `HookError`, as for the payload hooks.
 */
export type AuthenticatePayload<TUser = unknown, TEntityManager = any> = (
  payload: TokenPayload,
  context: AuthenticateContext<TEntityManager>,
) => TUser | Promise<TUser>;

/**
 * What one HTTP request may ask of a service. Each refusal is a 4xx answer whose message names
 * the limit (`limits.maxDepth`), never a 500.
 */
export interface RequestLimits {
  /** Largest request body, in bytes: HTTP 413 beyond it (GraphQL and the REST endpoints). */
  maxBodyBytes: number;
  /** Longest token in the `Authorization` header, in characters: HTTP 401 beyond it, before any decoding. */
  maxTokenLength: number;
  /** Deepest nesting of fields in an operation, fragments followed; `ofType` inside introspection does not count. */
  maxDepth: number;
  /** Most aliases in an operation, counted as executed (a fragment spread twice counts its aliases twice). */
  maxAliases: number;
  /** Most root fields (distinct response names) in an operation. */
  maxRootFields: number;
  /** Most operations in one batched HTTP request (a JSON array of operations) to the identity service. */
  maxBatchOperations: number;
}

/** Limits on failed logins (`loginThrottle`); times in seconds. */
export interface LoginThrottleSettings {
  /** Failed attempts a username gets before the back-off starts. */
  usernameAttempts: number;
  /** Failed attempts a client address gets before the back-off starts (more: many users share one behind NAT). */
  ipAttempts: number;
  /** The wait after the last free attempt, doubling with each further attempt up to `max`. */
  backoff: { base: number; max: number };
  /** A count untouched this long is forgotten (at least `backoff.max`). */
  window: number;
}

/**
 * A class as the settings see one. The config layer checks shapes and never loads the ORM (a
 * subgraph does not install it), so entity and migration classes are typed structurally here.
 */
export type AnyClass = abstract new (...args: any[]) => object;

/** What MikroORM's `EntitySchema` (`new EntitySchema({...})`, `defineEntity(...)`) looks like from here. */
export interface EntitySchemaLike {
  readonly meta: object;
  init(): unknown;
}

/**
 * One of the application's entities (`entities`): a MikroORM entity class (`@Entity()`) or an
 * `EntitySchema`, the way to write one in plain JavaScript.
 */
export type ApplicationEntity = AnyClass | EntitySchemaLike;

/** A MikroORM `Migration` subclass, as far as the settings can tell: a class with `up()`. */
export type MigrationClass = new (...args: any[]) => { up(): unknown };

/**
 * One of the application's migrations (`migrations`): MikroORM's `MigrationObject`
 * (`{ name, class }`), or a `Migration` subclass, which is then named after the class. The name
 * is what the migrations table records, so it must never change once applied.
 */
export type ApplicationMigration = MigrationClass | { name: string; class: MigrationClass };

/** Every setting of django-rest-framework-sso's `REST_FRAMEWORK_SSO`, camelCased, plus our own. */
export interface SsoSettings {
  createSessionPayload: CreatePayload;
  createAuthorizationPayload: CreatePayload<any>;
  encodeJwtToken: EncodeJwtToken<SsoSettings>;
  decodeJwtToken: DecodeJwtToken<SsoSettings>;
  authenticatePayload: AuthenticatePayload<unknown>;
  encodeAlgorithm: Algorithm;
  /** `null` means `[encodeAlgorithm]`. */
  decodeAlgorithms: Algorithm[] | null;
  verifySignature: boolean;
  verifyExpiration: boolean;
  /**
   * Kept as the original's VERIFY_ISSUER, which compares a token's `iss` with that same `iss` and
   * so never refuses a token; here too it changes nothing. What decides an issuer is
   * `acceptedIssuers`, always checked, and the keys configured for it.
   */
  verifyIssuer: boolean;
  verifyAudience: boolean;
  verifySessionToken: boolean;
  /** Seconds of tolerance for `exp` and `nbf`. */
  expirationLeeway: number;
  /** Seconds a session token lives; `null`: it never expires (it can be revoked). */
  sessionExpiration: number | null;
  /** Seconds an authorization token lives. */
  authorizationExpiration: number;
  /** This service's name: the `iss` of the tokens it issues and the `aud` it accepts. */
  identity: string | null;
  sessionAudience: string[] | null;
  authorizationAudience: string[] | null;
  /** Issuers whose tokens are accepted; `null`: any issuer with a configured public key. */
  acceptedIssuers: string[] | null;
  keyStoreRoot: string | null;
  /** Issuer -> key file or files, newest first. */
  publicKeys: Record<string, string | string[]>;
  privateKeys: Record<string, string | string[]>;
  /** Issuer -> its JWKS URL, for services that fetch public keys rather than read files. */
  jwksUrls: Record<string, string>;
  /** The `Authorization` header scheme, compared case-insensitively. */
  authenticateHeader: string;
  /** Read the client IP from `X-Forwarded-For` (only behind a proxy you trust). */
  trustProxy: boolean;
  /** bcrypt cost for new password hashes; hashes of another cost are re-hashed at the next login. */
  passwordHashRounds: number;
  /**
   * A type-graphql `@ArgsType()` class: extra arguments of `obtainAuthorizationToken`, validated
   * by GraphQL and handed to `createAuthorizationPayload` as `args`.
   */
  authorizationArgs: (new () => object) | null;
  /** The scope that lets a token's holder list and revoke any user's sessions; `null`: nobody. */
  adminScope: string | null;
  /** Seconds a session may go unused before it is refused; `null`: no idle limit (precision: about a minute). */
  sessionIdleTimeout: number | null;
  /**
   * Seconds a checked session is remembered by a process. Revocations reach every process at once
   * through PostgreSQL LISTEN/NOTIFY; without it (e.g. the embedded database) nothing is cached.
   * `0`: never cache.
   */
  sessionCacheTtl: number;
  /**
   * Tokens each service remembers as verified (signature and claims), so that a token presented
   * again is not verified again: expiry is still checked every time, and so are sessions
   * (`verifySessionToken`). Entries hold a digest and the payload (about 0.6 KiB each for typical
   * tokens), so the default 10,000 take about 6 MiB. `0`: verify every token every time.
   */
  verifiedTokenCacheSize: number;
  /**
   * Count tokens, logins, verifications and database queries, and serve them at `GET /metrics` of
   * the identity service (Prometheus text format). `false`: nothing is counted or served.
   */
  metrics: boolean;
  /** Request limits; a config may give some of them, the others keep their defaults. */
  limits: RequestLimits;
  /**
   * Introspection, and Apollo Server's landing page (Sandbox), which needs it. `null`: on, unless
   * `NODE_ENV` is `production` where the service is created.
   */
  introspection: boolean | null;
  /**
   * Seconds the identity service waits on PostgreSQL at each step of a request: connecting, a
   * free pooled connection, one statement (`statement_timeout`; migrations are exempt). Past it,
   * the request is answered HTTP 503 `SERVICE_UNAVAILABLE`: never a hang.
   */
  databaseTimeout: number;
  /**
   * Seconds the identity service keeps serving once asked to stop (SIGTERM, `close()`) while
   * `/readyz` answers 503, so that load balancers stop sending before it stops accepting; then
   * in-flight requests get up to 10 s to finish. `0`: stop accepting at once.
   */
  shutdownDelay: number;
  /**
   * Limits failed logins (GraphQL, REST, and the current password of `changePassword`) per
   * username and per client address, shared by every process (PostgreSQL, or Redis with
   * `redisUrl`); a throttled attempt is refused with `TOO_MANY_REQUESTS` before its password is
   * evaluated. Partial objects are completed from the defaults. `null`: no limit.
   */
  loginThrottle: LoginThrottleSettings | null;
  /** `redis://` or `rediss://` URL: the login throttle keeps its counts there instead of PostgreSQL. */
  redisUrl: string | null;
  /**
   * The application's own entities, registered with the identity service's (`User`,
   * `SessionToken`, ...) in one ORM: hooks query them through `em`, and they may reference the
   * identity's, e.g. `@ManyToOne(() => User)`. Read when the database is opened.
   */
  entities: readonly ApplicationEntity[];
  /**
   * The application's migrations (the tables of `entities`), applied after the identity service's
   * own, in this order, and recorded in the same migrations table (`sso_migrations`) by
   * `graphql-sso serve` and `graphql-sso migrate`. Names must be unique, also against the
   * identity's (`Migration2026...`).
   */
  migrations: readonly ApplicationMigration[];
}

/** `loginThrottle` as a config gives it: what is left out comes from the defaults. */
export type LoginThrottleConfig = Partial<Omit<LoginThrottleSettings, 'backoff'>> & { backoff?: Partial<LoginThrottleSettings['backoff']> };

/** What a config file or `defineConfig` takes: any subset of the settings (and of `limits` and `loginThrottle`). */
export type SsoConfig = Partial<Omit<SsoSettings, 'limits' | 'loginThrottle'>> & {
  limits?: Partial<RequestLimits>;
  loginThrottle?: LoginThrottleConfig | null;
};
