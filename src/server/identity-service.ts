import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createSsoContext } from '../auth/context.js';
import { formatSsoError } from '../auth/graphql-errors.js';
import type { SsoSettings } from '../config/settings.js';
import { SettingsError } from '../errors.js';
import type { User } from '../identity/entities/user.js';
import { buildIdentitySchema } from '../identity/schema.js';
import type { LoginThrottleOptions } from '../identity/login-throttle.js';
import { createIdentityServices, type IdentityContext, type IdentityServices } from '../identity/services.js';
import type { SessionServiceOptions } from '../identity/session-service.js';
import { listenForSessionChanges, type SessionEvents } from '../identity/session-events.js';
import { KeyStore } from '../jwt/key-store.js';
import { handleGraphQLRequest, sendJson } from './lib/http.js';
import { obtainAuthorizationTokenView } from './rest/obtain-authorization-token.js';
import { obtainSessionTokenView } from './rest/obtain-session-token.js';

export interface IdentityServiceOptions {
  /** Resolved settings (`resolveSettings(config)`). */
  settings: SsoSettings;
  /** An open, migrated database (`openDatabase` + `migrate`). */
  orm: MikroORM;
  logger: Logger;
  /** Defaults to `KeyStore.load(settings)`. */
  keys?: KeyStore;
  /** More type-graphql resolvers served beside the identity service's own. */
  resolvers?: Function[];
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number;
  sessions?: SessionServiceOptions;
  /** The login throttle's clock, `onThrottled` hook and Redis key prefix (its logger is `logger`). */
  loginThrottle?: LoginThrottleOptions;
}

/**
 * The identity service: `POST /graphql` (log in, obtain tokens, `me`), `GET /.well-known/jwks.json`,
 * `GET /healthz`, and django-rest-framework-sso's `POST /session/` and `POST /authorize/`.
 * Everything it needs is passed in, so several can run in one process.
 */
export class IdentityService {
  readonly server: Server;
  private readonly context: (args: { req: IncomingMessage }) => Promise<IdentityContext>;
  private readonly bodyLimit: number;
  /** django-rest-framework-sso's REST views, for its clients. */
  private readonly obtainSessionToken: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  private readonly obtainAuthorizationToken: (req: IncomingMessage, res: ServerResponse) => Promise<void>;

  /** Keeps the session cache in step with revocations made anywhere (null: nothing is cached). */
  private sessionEvents: SessionEvents | null = null;

  private constructor(
    readonly services: IdentityServices,
    readonly schema: GraphQLSchema,
    readonly apollo: ApolloServer<IdentityContext>,
    readonly logger: Logger,
    server: Server,
    bodyLimit: number,
  ) {
    this.server = server;
    this.bodyLimit = bodyLimit;
    const authenticate = createSsoContext<User>({ settings: services.settings, keys: services.keys, sessions: services.sessions, orm: services.orm, logger });
    this.context = async (args) => ({ ...(await authenticate(args)), services });
    const rest = { services, context: this.context, bodyLimit, logger };
    this.obtainSessionToken = obtainSessionTokenView(rest);
    this.obtainAuthorizationToken = obtainAuthorizationTokenView({ ...rest, schema });
    server.on('request', (req, res) => this.handle(req, res));
  }

  static async create(options: IdentityServiceOptions): Promise<IdentityService> {
    const { settings, orm, logger } = options;
    const keys = options.keys ?? KeyStore.load(settings);
    if (settings.identity === null) {
      throw new SettingsError('identity', 'the identity service needs a name: it is the "iss" of the tokens it issues');
    }
    if (!keys.hasSigningKey(settings.identity)) {
      throw new SettingsError(`privateKeys.${settings.identity}`, `no private key is configured for identity "${settings.identity}"`);
    }
    const services = createIdentityServices(settings, keys, orm, options.sessions, { logger, ...options.loginThrottle });
    const schema = await buildIdentitySchema(settings, { resolvers: options.resolvers });
    const server = createServer();
    const apollo = new ApolloServer<IdentityContext>({
      schema,
      logger,
      formatError: formatSsoError,
      includeStacktraceInErrorResponses: false,
      // The process owner (the CLI) handles signals: it closes the database after Apollo.
      stopOnTerminationSignals: false,
      plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server })],
    });
    await apollo.start();
    const service = new IdentityService(services, schema, apollo, logger, server, options.bodyLimit ?? 1024 * 1024);
    service.sessionEvents = await listenForSessionChanges(services, logger);
    return service;
  }

  /** Listens on `port` (0: any free port); resolves with the GraphQL endpoint's URL. */
  async listen(port: number, host?: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost';
    return `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}/graphql`;
  }

  /**
   * Re-reads the key files that `settings` name (`keyStoreRoot`, `privateKeys`, `publicKeys`) and
   * swaps them in at once (`KeyStore#reload`); tokens and `/.well-known/jwks.json` use them from the
   * next lookup on. Other settings keep their running values (`encodeAlgorithm` included, so the
   * new keys must suit it). Throws `SettingsError`, keeping the current keys, when a file is
   * unusable or this service's identity would have no private key.
   */
  reloadKeys(settings: Pick<SsoSettings, 'keyStoreRoot' | 'privateKeys' | 'publicKeys'>): void {
    const running = this.services.settings;
    const { keyStoreRoot, privateKeys, publicKeys } = settings;
    this.services.keys.reload({ ...running, keyStoreRoot, privateKeys, publicKeys }, { requireSigningKey: running.identity });
  }

  /** Stops accepting requests, lets in-flight ones finish, and stops Apollo. The database is the caller's. */
  async close(): Promise<void> {
    await this.sessionEvents?.close();
    if (this.server.listening) await this.apollo.stop();
    else await this.apollo.stop().catch(() => undefined);
    await this.services.loginThrottle?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => {
      this.logger.error({ err: error, method: req.method, url: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/graphql' || path === '/graphql/') {
      return handleGraphQLRequest(this.apollo, req, res, () => this.context({ req }), { bodyLimit: this.bodyLimit });
    }
    if (path === '/.well-known/jwks.json') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `Method ${req.method} not allowed.` }, { allow: 'GET, HEAD' });
      return sendJson(res, 200, this.services.keys.toJwks(), { 'cache-control': 'public, max-age=300' });
    }
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/session/' || path === '/session') return this.obtainSessionToken(req, res);
    if (path === '/authorize/' || path === '/authorize') return this.obtainAuthorizationToken(req, res);
    sendJson(res, 404, { error: `Not found: ${req.method} ${path}. GraphQL is served at /graphql.` });
  }
}
