import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { RequestInfo, SessionAuthenticator, SsoSettings } from '../config/settings.js';
import type { TokenPayload } from '../jwt/claims.js';
import { withForkedEntityManager, type ForkableOrm } from './lib/forked-entity-manager.js';
import { INTERNAL_ERROR_MESSAGE, ServiceUnavailableError, SsoError } from '../errors.js';
import type { KeySource } from '../jwt/key-store.js';
import { createKeySource } from '../jwt/key-source.js';
import { decodeJwtToken, decodeJwtTokenNow } from '../jwt/decode.js';
import { authenticatePayload } from '../config/authenticate-payload.js';
import { isPromiseLike } from '../lib/promise-like.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { runHook, serverErrorLog } from '../lib/hooks.js';
import { normalizeError } from '../lib/normalize-error.js';
import type { TokenVerificationObserver } from '../observability/metrics.js';
import { toGraphQLError } from './graphql-errors.js';
import { parseAuthorizationHeader } from './header.js';
import { ConnectionTokens, type ReadToken } from './lib/connection-tokens.js';
import { LazyUser } from './lazy-user.js';
import { requestInfo } from './request-info.js';
import { compileTrustProxy } from '../lib/trusted-proxies.js';

/** The GraphQL context every graphql-sso service builds. */
export interface SsoContext<TUser = unknown> {
  /** The verified token payload, or `null` for an anonymous request. */
  auth: TokenPayload | null;
  /**
   * What `authenticatePayload` returns for the token (`null` for an anonymous request), run on
   * the first `await ctx.user`: a request that never needs the user costs no lookup. (One that
   * answers without a promise, as the built-in one of a service without sessions does, is known at
   * once: guarded fields read it without waiting.) Where tokens
   * are tied to sessions (`verifySessionToken`), the session check is part of verifying the token,
   * so it has already run and a revoked session refused the whole request.
   */
  user: LazyUser<TUser | null>;
  /** The raw token, to forward to other services. */
  token: string | null;
  request: RequestInfo;
}

export interface SsoContextOptions {
  settings: SsoSettings;
  /** Public keys; default `createKeySource(settings)`: the PEM files and JWKS URLs the settings name. */
  keys?: KeySource;
  /** Session checks of the identity service, for the built-in `authenticatePayload`. */
  sessions?: SessionAuthenticator;
  /** A MikroORM instance: a fork of its EntityManager is handed to `authenticatePayload` (e.g. to get-or-create users). */
  orm?: ForkableOrm;
  /** Where failures that are not the client's fault are logged. */
  logger?: Logger;
  /**
   * Tokens this context has verified (signature and claims; sessions are checked every request).
   * Default: a new cache of `settings.verifiedTokenCacheSize` entries, none when it is 0; `null`:
   * none. Pass one to read its `stats()`.
   */
  tokenCache?: VerifiedTokenCache | null;
  /** Told the outcome of every request that presents a token, e.g. an `SsoMetrics`. */
  metrics?: TokenVerificationObserver;
}

/** What the context function takes: Apollo's `{ req }`, and the request's own logger if it has one. */
export interface SsoContextArgs {
  req: IncomingMessage;
  /** Used instead of `options.logger` for this request (e.g. `req.log` of `createRequestLog`, carrying its id). */
  logger?: Logger;
}

/**
 * A context function for Apollo Server (`context: createSsoContext({...})`): reads the
 * `Authorization` header (once per connection while it repeats the same one) and verifies the
 * token with `decodeJwtToken`, once per request; the user comes from `authenticatePayload` when
 * first awaited (`ctx.user`). No header: an anonymous context. A present but invalid token
 * refuses the whole request: HTTP 401, `UNAUTHENTICATED`, a message saying why;
 * so does a token longer than `limits.maxTokenLength`, before any decoding. A hook that fails
 * unexpectedly (`decodeJwtToken`, or `authenticatePayload` where it runs at once) refuses it with
 * HTTP 500, `INTERNAL_SERVER_ERROR`, `Internal server error.`, and its cause is logged with the
 * request's logger; run lazily, `authenticatePayload` fails each field that awaits `ctx.user` with
 * a `HookError`, which `formatSsoError` masks and `errorLogPlugin` logs.
 */
export function createSsoContext<TUser = unknown>(options: SsoContextOptions): (args: SsoContextArgs) => Promise<SsoContext<TUser>> {
  const context = createSsoContextNow<TUser>(options);
  return (args) => {
    try {
      return Promise.resolve(context(args));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * `createSsoContext`'s context function answering without a promise where every step does (no
 * token, a cached token and session): for a server of graphql-sso's own that adds fields to the
 * context, so that the request costs one promise, not three. Refusals are thrown (or rejected).
 */
export function createSsoContextNow<TUser = unknown>(
  options: SsoContextOptions,
): (args: SsoContextArgs) => SsoContext<TUser> | Promise<SsoContext<TUser>> {
  const { settings, sessions, orm, logger, metrics } = options;
  const keys = options.keys ?? createKeySource(settings, { onError: (err, issuer) => logger?.warn({ err, issuer }, 'JWKS fetch failed') });
  const cache =
    options.tokenCache !== undefined
      ? (options.tokenCache ?? undefined)
      : settings.verifiedTokenCacheSize > 0
        ? new VerifiedTokenCache({ maxEntries: settings.verifiedTokenCacheSize })
        : undefined;
  const trust = compileTrustProxy(settings.trustProxy);
  const builtInDecode = settings.decodeJwtToken === decodeJwtToken;
  const tokens = new ConnectionTokens(
    (header) => parseAuthorizationHeader(header, settings.authenticateHeader, { maxTokenLength: settings.limits.maxTokenLength }),
    builtInDecode && cache !== undefined && settings.verifySignature ? (token) => cache.idOf(token) : () => undefined,
  );
  const decode = ({ token, id }: ReadToken) =>
    runHook('decodeJwtToken', () =>
      // The built-in one answers a cached token without a promise; a hook of the user's as it does.
      builtInDecode ? decodeJwtTokenNow(token, { settings, keys, cache }, id) : settings.decodeJwtToken(token, { settings, keys, cache }),
    );
  const refusal = (error: unknown, requestLogger: Logger | undefined): unknown => {
    // A session check while the database is unreachable refuses the request with 503, as
    // `normalizeError` decides; a server error (a HookError, anything unexpected) with 500,
    // INTERNAL_SERVER_ERROR, its cause logged here, as Apollo's plugins never see the errors of
    // a context function. A GraphQLError a hook threw is passed on as it is.
    if (error instanceof GraphQLError) {
      metrics?.tokenVerified('invalid', '');
      return error;
    }
    const normalized = normalizeError(error);
    const known = normalized.error ?? new SsoError('INTERNAL', INTERNAL_ERROR_MESSAGE, { cause: error });
    metrics?.tokenVerified(normalized.internal || known instanceof ServiceUnavailableError ? 'error' : 'invalid', known.code);
    if (normalized.internal) (requestLogger ?? logger)?.error(serverErrorLog(error), 'authentication failed unexpectedly');
    return toGraphQLError(known, { refuseRequest: true, scheme: settings.authenticateHeader });
  };
  /** The context of a request presenting `token`, without a promise where every step answers without one. */
  const authenticated = (read: ReadToken, request: RequestInfo): SsoContext<TUser> | Promise<SsoContext<TUser>> => {
    const { token } = read;
    const withPayload = (auth: TokenPayload): SsoContext<TUser> | Promise<SsoContext<TUser>> => {
      const authenticate = () =>
        runHook(
          'authenticatePayload',
          () =>
            settings.authenticatePayload(
              auth,
              // The built-in one reads no EntityManager: a request it answers forks none, nor sets up the getter.
              settings.authenticatePayload === authenticatePayload
                ? { settings, sessions, request }
                : withForkedEntityManager({ settings, sessions, request }, orm),
            ) as TUser | Promise<TUser>,
        );
      if (!settings.verifySessionToken) {
        metrics?.tokenVerified('valid', '');
        return { auth, user: new LazyUser(authenticate), token, request };
      }
      const withUser = (user: TUser): SsoContext<TUser> => {
        metrics?.tokenVerified('valid', '');
        return { auth, user: LazyUser.of(user), token, request };
      };
      const user = authenticate();
      return isPromiseLike(user) ? Promise.resolve(user).then(withUser) : withUser(user);
    };
    const auth = decode(read);
    return isPromiseLike(auth) ? Promise.resolve(auth).then(withPayload) : withPayload(auth);
  };
  return ({ req, logger: requestLogger }) => {
    let request: RequestInfo;
    try {
      request = requestInfo(req, trust);
    } catch (error) {
      // A forwarded address that is no address: the request is refused (400), not its token.
      throw toGraphQLError(error, { refuseRequest: true, scheme: settings.authenticateHeader });
    }
    try {
      const read = tokens.read(req.socket, req.headers.authorization);
      if (read === null) return { auth: null, user: LazyUser.of(null), token: null, request };
      // The cache spares the signature check of a token seen before, never the session check.
      const context = authenticated(read, request);
      return isPromiseLike(context)
        ? Promise.resolve(context).catch((error: unknown) => {
            throw refusal(error, requestLogger);
          })
        : context;
    } catch (error) {
      throw refusal(error, requestLogger);
    }
  };
}
