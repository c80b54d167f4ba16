import type * as v from 'valibot';
import type { TokenPayload, UnsignedPayload } from '../jwt/claims.js';
import type { SessionLike, UserLike } from '../jwt/payloads.js';
import type { limits } from './schema/limits.js';
import type { loginThrottle } from './schema/login-throttle.js';
import type { settings } from './schema/settings.js';

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
  /** `authenticate`, answering without a promise when it can (a cached session): what the built-in `authenticatePayload` calls when present. */
  authenticateNow?(payload: TokenPayload, request: RequestInfo | undefined): UserLike | Promise<UserLike>;
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
 * What one HTTP request may ask of a service (`limits`). Each refusal is a 4xx answer whose
 * message names the limit (`limits.maxDepth`), never a 500.
 */
export interface RequestLimits extends v.InferOutput<typeof limits> {}

/** Limits on failed logins (`loginThrottle`); times in seconds. */
export interface LoginThrottleSettings extends v.InferOutput<typeof loginThrottle> {}

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

/**
 * Every setting of django-rest-framework-sso's `REST_FRAMEWORK_SSO`, camelCased, plus our own:
 * what `resolveSettings` returns. The type is the settings schema's (`schema/settings.ts`), where
 * each setting is documented with its default and its checks.
 */
export interface SsoSettings extends v.InferOutput<typeof settings> {}

/** `loginThrottle` as a config gives it: what is left out comes from the defaults. */
export type LoginThrottleConfig = v.InferInput<typeof loginThrottle>;

/**
 * What a config file or `defineConfig` takes: any subset of the settings (and of `limits` and
 * `loginThrottle`); audiences and issuers also as one string.
 */
export type SsoConfig = v.InferInput<typeof settings>;
