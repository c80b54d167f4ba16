import * as v from 'valibot';
import { authenticatePayload } from '../authenticate-payload.js';
import { decodeJwtToken } from '../../jwt/decode.js';
import { encodeJwtToken } from '../../jwt/encode.js';
import { createAuthorizationPayload, createSessionPayload } from '../../jwt/payloads.js';
import { notAList } from '../lib/application-tables.js';
import type { ApplicationEntity, ApplicationMigration, AuthenticatePayload, CreatePayload } from '../settings.js';
import type { DecodeJwtToken, EncodeJwtToken } from '../../jwt/options.js';
import { algorithm, algorithms } from './algorithms.js';
import { jwksUrls, keyFiles } from './key-sources.js';
import { origins, trustProxy } from './http.js';
import { limits } from './limits.js';
import { loginThrottle } from './login-throttle.js';
import { flag, hook, name, names, plainObject, positiveSeconds, seconds, url, wholeNumber } from './values.js';

const AUTH_SCHEME = 'must be an HTTP auth scheme such as "JWT" or "Bearer"';
const ROUNDS = 'must be a whole number from 4 to 31';
const IDLE_TIMEOUT = 'must be a number of seconds of at least 60 (last use is recorded once a minute)';

/**
 * Every setting of django-rest-framework-sso's `REST_FRAMEWORK_SSO`, camelCased, plus our own, in
 * the order they are checked, each with its default. Defaults that are functions are given as
 * functions returning them: valibot calls a function default.
 */
const SETTING_ENTRIES = {
  createSessionPayload: v.optional(hook<CreatePayload>(), () => createSessionPayload),
  createAuthorizationPayload: v.optional(hook<CreatePayload<any>>(), () => createAuthorizationPayload),
  encodeJwtToken: v.optional(hook<EncodeJwtToken>(), () => encodeJwtToken),
  decodeJwtToken: v.optional(hook<DecodeJwtToken>(), () => decodeJwtToken),
  authenticatePayload: v.optional(hook<AuthenticatePayload<unknown>>(), () => authenticatePayload),
  encodeAlgorithm: v.optional(algorithm, 'RS256'),
  /** `null` means `[encodeAlgorithm]`. */
  decodeAlgorithms: v.optional(v.nullable(algorithms), null),
  verifySignature: v.optional(flag, true),
  verifyExpiration: v.optional(flag, true),
  /**
   * Kept as the original's VERIFY_ISSUER, which compares a token's `iss` with that same `iss` and
   * so never refuses a token; here too it changes nothing. What decides an issuer is
   * `acceptedIssuers`, always checked, and the keys configured for it.
   */
  verifyIssuer: v.optional(flag, true),
  verifyAudience: v.optional(flag, true),
  verifySessionToken: v.optional(flag, true),
  /** Seconds of tolerance for `exp` and `nbf`. */
  expirationLeeway: v.optional(seconds, 0),
  /** Seconds a session token lives; `null`: it never expires (it can be revoked). */
  sessionExpiration: v.optional(v.nullable(positiveSeconds), null),
  /** Seconds an authorization token lives. */
  authorizationExpiration: v.optional(positiveSeconds, 300),
  /** This service's name: the `iss` of the tokens it issues and the `aud` it accepts. */
  identity: v.optional(v.nullable(name), null),
  /** One audience or a list of them. */
  sessionAudience: v.optional(v.nullable(names), null),
  /** One audience or a list of them. */
  authorizationAudience: v.optional(v.nullable(names), null),
  /** Issuers whose tokens are accepted; `null`: any issuer with a configured public key. */
  acceptedIssuers: v.optional(v.nullable(names), null),
  keyStoreRoot: v.optional(v.nullable(name), null),
  /** Issuer -> key file or files, newest first. */
  publicKeys: v.optional(keyFiles, () => ({})),
  privateKeys: v.optional(keyFiles, () => ({})),
  /** Issuer -> its JWKS URL, for services that fetch public keys rather than read files. */
  jwksUrls: v.optional(jwksUrls, () => ({})),
  /** The `Authorization` header scheme, compared case-insensitively. */
  authenticateHeader: v.optional(v.pipe(v.string(AUTH_SCHEME), v.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, AUTH_SCHEME)), 'JWT'),
  /**
   * The proxies whose `X-Forwarded-For` tells the client's address: `false` (none: the socket's
   * peer is the client), `true` (every peer), a number of hops, or their addresses and CIDR
   * ranges. The client is the rightmost address that is not trusted, as Express's proxy-addr says.
   */
  trustProxy: v.optional(trustProxy, false),
  /**
   * Origins (`https://app.example.com`) besides the service's own whose pages may post forms
   * (`application/x-www-form-urlencoded`, `multipart/form-data`, `text/plain`, or no type) to the
   * REST endpoints; a browser's form post from any other origin is refused 403 (CSRF). JSON posts
   * are not concerned: browsers send them cross-origin only after a CORS preflight.
   */
  trustedOrigins: v.optional(origins, () => []),
  /**
   * Origins (`https://app.example.com`) whose browser pages may call the identity service with
   * their own `Authorization` (CORS): each gets `Access-Control-Allow-Origin` naming it, never `*`,
   * and its preflights are answered. Empty: no CORS headers at all, so only same-origin pages and
   * non-browser clients (gateways, servers) call it.
   */
  corsOrigins: v.optional(origins, () => []),
  /**
   * The address `graphql-sso serve` listens on (`--host` overrides it), e.g. `127.0.0.1` when only
   * a gateway on the same machine may reach the service. `null`: every interface, so that gateways
   * on other machines (and containers' port mappings) reach it.
   */
  host: v.optional(v.nullable(name), null),
  /**
   * Tokens the identity service signs with the built-in `encodeJwtToken` are signed on a worker
   * thread of their own, off the event loop: an RS256 signature holds it for about 250 µs, and a
   * process mints more tokens with its signatures beside its requests. `null`: where the machine
   * has more cores than the processes of `serve --workers`. A custom `encodeJwtToken` signs where
   * it runs.
   */
  signingThread: v.optional(v.nullable(flag), null),
  /** bcrypt cost for new password hashes; hashes of another cost are re-hashed at the next login. */
  passwordHashRounds: v.optional(v.pipe(v.number(ROUNDS), v.integer(ROUNDS), v.minValue(4, ROUNDS), v.maxValue(31, ROUNDS)), 12),
  /**
   * A type-graphql `@ArgsType()` class: extra arguments of `obtainAuthorizationToken`, validated
   * by GraphQL and handed to `createAuthorizationPayload` as `args`.
   */
  authorizationArgs: v.optional(v.nullable(hook<new () => object>('must be a type-graphql @ArgsType() class')), null),
  /** The scope that lets a session token's holder list and revoke any user's sessions (`createSessionPayload` puts it there); `null`: nobody. */
  adminScope: v.optional(v.nullable(name), 'sso:admin'),
  /** Seconds a session may go unused before it is refused; `null`: no idle limit (precision: about a minute). */
  sessionIdleTimeout: v.optional(v.nullable(v.pipe(v.number(IDLE_TIMEOUT), v.finite(IDLE_TIMEOUT), v.minValue(60, IDLE_TIMEOUT))), null),
  /**
   * Active sessions a user may have; a login past it revokes the user's least recently used ones
   * (in the transaction that creates the session, so concurrent logins cannot exceed it). `null`:
   * no limit.
   */
  maxSessionsPerUser: v.optional(v.nullable(wholeNumber('sessions', 1, '; null for no limit')), 100),
  /**
   * Seconds a checked session is remembered by a process. Revocations reach every process at once
   * through PostgreSQL LISTEN/NOTIFY; without it (e.g. the embedded database) nothing is cached.
   * `0`: never cache.
   */
  sessionCacheTtl: v.optional(seconds, 60),
  /**
   * Tokens each service remembers as verified (signature and claims), so that a token presented
   * again is not verified again: expiry is still checked every time, and so are sessions
   * (`verifySessionToken`). Entries hold a digest and the payload (about 0.6 KiB each for typical
   * tokens), so the default 10,000 take about 6 MiB. `0`: verify every token every time.
   */
  verifiedTokenCacheSize: v.optional(wholeNumber('tokens', 0, '; 0 turns the cache off'), 10_000),
  /**
   * Count tokens, logins, verifications and database queries, and serve them at `GET /metrics` of
   * the identity service (Prometheus text format). `false`: nothing is counted or served.
   */
  metrics: v.optional(flag, true),
  /**
   * A port of its own for `GET /metrics` (on the service's bind address), so that scrapes stay off
   * the port clients and gateways reach; `/metrics` is then not served on the service's port.
   * `null`: served beside `/graphql`.
   */
  metricsPort: v.optional(
    v.nullable(
      v.pipe(
        wholeNumber('port', 0, ', at most 65535; null serves /metrics beside /graphql'),
        v.maxValue(65535, 'must be a whole number of port (0 or more, at most 65535; null serves /metrics beside /graphql)'),
      ),
    ),
    null,
  ),
  /** Request limits; a config may give some of them, the others keep their defaults. */
  limits: v.optional(limits, () => ({})),
  /**
   * Introspection, and Apollo Server's landing page (Sandbox), which needs it. `null`: on, unless
   * `NODE_ENV` is `production` where the service is created.
   */
  introspection: v.optional(v.nullable(flag), null),
  /** "Did you mean" suggestions in validation errors, which spell out the schema. `null`: off where `NODE_ENV` is `production`. */
  suggestions: v.optional(v.nullable(flag), null),
  /**
   * Federation's inline traces (`ftv1`: per-field timings a gateway asks for with
   * `apollo-federation-include-trace`). `null`: off where `NODE_ENV` is `production`.
   */
  federationTraces: v.optional(v.nullable(flag), null),
  /**
   * Seconds the identity service waits on PostgreSQL at each step of a request: connecting, a
   * free pooled connection, one statement (`statement_timeout`; migrations are exempt). Past it,
   * the request is answered HTTP 503 `SERVICE_UNAVAILABLE`: never a hang.
   */
  databaseTimeout: v.optional(positiveSeconds, 5),
  /**
   * Run on the embedded PGlite (no `DATABASE_URL`) even with `NODE_ENV=production`. It is one
   * process's database, with no password (only its owner's processes can reach it), so
   * production refuses it unless this says it is meant.
   */
  embeddedDatabaseInProduction: v.optional(flag, false),
  /**
   * Seconds the identity service keeps serving once asked to stop (SIGTERM, `close()`) while
   * `/readyz` answers 503, so that load balancers stop sending before it stops accepting; then
   * in-flight requests get up to 10 s to finish. `0`: stop accepting at once.
   */
  shutdownDelay: v.optional(seconds, 0),
  /**
   * Limits failed logins (GraphQL, REST, and the current password of `changePassword`) per
   * username and per client address, shared by every process (PostgreSQL, or Redis with
   * `redisUrl`); a throttled attempt is refused with `TOO_MANY_REQUESTS` before its password is
   * evaluated. Partial objects are completed from the defaults. `null`: no limit.
   */
  loginThrottle: v.optional(v.nullable(loginThrottle), () => ({})),
  /**
   * The PostgreSQL URL the session cache LISTENs on, when `DATABASE_URL` goes through a pooler in
   * transaction mode (PgBouncer), which cannot hold a LISTEN: a direct connection to the same
   * database. `null`: `DATABASE_LISTEN_URL`, else the database's own URL.
   */
  databaseListenUrl: v.optional(v.nullable(url(['postgres', 'postgresql'], 'must be a postgres:// or postgresql:// URL')), null),
  /** `redis://` or `rediss://` URL: the login throttle keeps its counts there instead of PostgreSQL. */
  redisUrl: v.optional(v.nullable(url(['redis', 'rediss'], 'must be a redis:// or rediss:// URL')), null),
  /**
   * The application's own entities, registered with the identity service's (`User`,
   * `SessionToken`, ...) in one ORM: hooks query them through `em`, and they may reference the
   * identity's, e.g. `@ManyToOne(() => User)`. Read when the database is opened. Each entry is
   * checked by `checkEntities`, which names it (`entities[1]`).
   */
  entities: v.optional(
    v.custom<readonly ApplicationEntity[]>(Array.isArray, (issue) => notAList('entities', issue.input)),
    () => [],
  ),
  /**
   * The application's migrations (the tables of `entities`), applied after the identity service's
   * own, in this order, and recorded in the same migrations table (`sso_migrations`) by
   * `graphql-sso serve` and `graphql-sso migrate`. Names must be unique, also against the
   * identity's (`Migration2026...`); each entry is checked by `namedMigrations`.
   */
  migrations: v.optional(
    v.custom<readonly ApplicationMigration[]>(Array.isArray, (issue) => notAList('migrations', issue.input)),
    () => [],
  ),
};

const SETTING_NAMES = Object.keys(SETTING_ENTRIES);

/** An unknown key, with the setting it most likely means: the original's `SESSION_EXPIRATION`, or another case. */
function unknownSetting(key: string): string {
  const hint = SETTING_NAMES.find((known) => known.toLowerCase() === key.toLowerCase().replace(/_/g, ''));
  return `unknown setting${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/** The settings, as a config gives them (`SsoConfig`) and as `resolveSettings` returns them (`SsoSettings`). */
export const settings = plainObject(
  v.strictObject(SETTING_ENTRIES, (issue) => unknownSetting(String(issue.input))),
  'the configuration must be an object of settings',
);
