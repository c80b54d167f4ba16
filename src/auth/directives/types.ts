import type { GraphQLResolveInfo } from 'graphql';

/** The verified token payload, as `getClaims` returns it. */
export type Claims = Record<string, unknown>;

/** What a `@policy` function is given. Policies never run for anonymous requests. */
export interface PolicyInput<TContext = unknown> {
  /** The verified claims (never `null`: an anonymous request is refused before any policy runs). */
  claims: Claims;
  /** What `getUser` returned for the context, awaited (so a lazily loaded user works). */
  user: unknown;
  /**
   * The guarded field's arguments. For an entity resolved through `_entities`, its
   * representation (`{ __typename, ...key fields }`).
   */
  args: Record<string, unknown>;
  /** The guarded field's parent object (the root value for root fields and `_entities`). */
  parent: unknown;
  context: TContext;
  info: GraphQLResolveInfo;
}

/**
 * A named policy for `@policy`. Only `true` grants access. A policy that throws fails the field
 * with that error: a `GraphQLError` as it is, an `SsoError` (e.g. `ForbiddenError`) mapped by
 * `toGraphQLError`, a database outage as `SERVICE_UNAVAILABLE` (by `formatSsoError`). Anything
 * else was not meant for the client: the field fails with a `HookError` (hook `policies.<name>`),
 * `INTERNAL_SERVER_ERROR` `Internal server error.`, and `errorLogPlugin` logs its cause.
 */
export type Policy<TContext = unknown> = (input: PolicyInput<TContext>) => boolean | Promise<boolean>;

export type Policies<TContext = unknown> = Record<string, Policy<TContext>>;

/** The names the three directives carry in a schema. */
export interface DirectiveNames {
  authenticated: string;
  requiresScopes: string;
  policy: string;
}

interface CommonOptions<TContext> {
  /**
   * Named policies for `@policy`. Every name the schema uses must be registered here, or
   * `applyAuthDirectives` throws. Default: `{}`.
   */
  policies?: Policies<TContext>;
  /** The verified claims of a request, `null` when anonymous. Default: `defaultGetClaims` (`context.auth`). */
  getClaims?: (context: TContext) => Claims | null;
  /**
   * The application's user, handed to policies. Default: `defaultGetUser` (`context.user`). When
   * it is a promise (`ctx.user` of `createSsoContext`), guarded fields wait until it settles (the
   * first one awaits it; `createSsoContext`'s, once settled or known from the start, is read at
   * once), and a rejection (e.g. `USER_INACTIVE`) fails the field like an unmet requirement.
   */
  getUser?: (context: TContext) => unknown;
  /** The scopes granted by some claims. Default: `defaultExtractScopes` (`scopes` array plus `scope` string). */
  extractScopes?: (claims: Claims) => readonly string[];
  /**
   * The directives' names in the schema. Default: read from the schema's federation `@link`
   * (`@authenticated` when imported, `@auth` when imported `as: "@auth"`, else
   * `@federation__authenticated`), or the bare names when the schema has no federation `@link`.
   */
  directiveNames?: Partial<DirectiveNames>;
}

/** Default mode: a denied field resolves to `null` with an error; the rest of the operation runs. */
export interface ResolveNullOptions<TContext = unknown> extends CommonOptions<TContext> {
  mode?: 'resolve-null';
}

/**
 * `authDirectivesPlugin()` refuses an operation before execution when a selected field's static
 * requirement (authentication, scopes) is unmet: HTTP 401 `UNAUTHENTICATED` or 403 `FORBIDDEN`.
 * Policies need arguments and parents, so they are still checked at resolve time.
 */
export interface RejectOptions<TContext = unknown> extends CommonOptions<TContext> {
  mode: 'reject';
  /** The `Authorization` scheme named in the `WWW-Authenticate` challenge of a 401. Default: `"JWT"`. */
  scheme?: string;
}

export type AuthDirectivesOptions<TContext = unknown> = ResolveNullOptions<TContext> | RejectOptions<TContext>;
