import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createSsoContextNow, type SsoContext } from '../auth/context.js';
import { formatSsoError } from '../auth/graphql-errors.js';
import { isPromiseLike } from '../lib/promise-like.js';
import type { SsoSettings } from '../config/settings.js';
import { SettingsError } from '../errors.js';
import type { User } from '../identity/entities/user.js';
import { buildIdentitySchema } from '../identity/schema.js';
import type { LoginThrottleOptions, ThrottleKind } from '../identity/login-throttle.js';
import { createIdentityComponents, type IdentityContext, type IdentityComponents } from '../identity/components.js';
import type { SessionServiceOptions } from '../identity/session-service.js';
import { listenForSessionChanges, type SessionChangeListener } from '../identity/session-events.js';
import { KeyStore } from '../jwt/key-store.js';
import { SigningThread } from '../jwt/signing-thread.js';
import { SsoMetrics } from '../observability/metrics.js';
import { observeDatabase } from '../observability/observe-database.js';
import { serveMetrics } from '../observability/serve-metrics.js';
import { errorLogPlugin } from './error-log-plugin.js';
import { createHttpApp } from './http/create-app.js';
import { registerIdentityRoutes, type Readiness } from './http/identity-routes.js';
import { requestLimits } from './limits/request-limits.js';
import { DatabaseReadiness } from './lib/database-readiness.js';
import { noStorePlugin } from './plugins/no-store.js';
import { serviceUnavailableStatusPlugin } from './plugins/service-unavailable-status.js';
import type { DatabaseNotifications } from '../db/notifications.js';

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
  /**
   * Decides `settings.introspection: null` and Apollo Server's other defaults: `production` turns
   * introspection and the landing page off. Default: `process.env.NODE_ENV`.
   */
  nodeEnv?: string;
  sessions?: SessionServiceOptions;
  /**
   * What the service counts on and `GET /metrics` serves (default: a new `SsoMetrics`), e.g. one
   * whose registry holds metrics of yours too. Unused when `settings.metrics` is false.
   */
  metrics?: SsoMetrics;
  /** The login throttle's clock, `onThrottled` hook and Redis key prefix (its logger is `logger`). */
  loginThrottle?: LoginThrottleOptions;
  /**
   * `db.notifications` of the embedded database opened in this process (`openIdentityDatabase`):
   * what lets the service cache sessions on it. A PostgreSQL server needs none (a connection LISTENs).
   */
  notifications?: DatabaseNotifications;
  /** Processes serving on this machine beside each other (`serve --workers`), for `signingThread: null`. Default 1. */
  processes?: number;
}

/** Polled, not used: their access lines are logged at debug. */
const QUIET_PATHS: readonly string[] = ['/healthz', '/metrics'];

/**
 * The identity service: `POST /graphql` (log in, obtain tokens, `me`), `GET /.well-known/jwks.json`,
 * `GET /healthz` (liveness), `GET /readyz` (the database answers, not shutting down), `GET /metrics`
 * (Prometheus), and django-rest-framework-sso's `POST /session/` and `POST /authorize/`, served
 * by Fastify (`registerIdentityRoutes`). Everything it needs is passed in, so several can run in
 * one process. Each request gets an id and a logger carrying it (`createRequestLog`).
 */
export class IdentityService {
  readonly server: Server;
  /** What `GET /metrics` serves; `null` when `settings.metrics` is false. */
  readonly metrics: SsoMetrics | null;
  /** `/metrics` on a port of its own (`settings.metricsPort`), listening once `listen` has; else `null`. */
  readonly metricsServer: Server | null;
  /** The context of a GraphQL or REST request; `req.log` is the request's logger. */
  private readonly context: (req: IncomingMessage) => Promise<IdentityContext>;

  /** Keeps the session cache in step with revocations made anywhere (null: nothing is cached). */
  private sessionEvents: SessionChangeListener | null = null;
  private stopObservingDatabase: (() => void) | null = null;
  private readonly readiness: DatabaseReadiness;
  /** Set by `close`: `/readyz` answers 503 from then on, so load balancers stop sending. */
  private draining = false;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly services: IdentityComponents,
    readonly schema: GraphQLSchema,
    readonly apollo: ApolloServer<IdentityContext>,
    readonly logger: Logger,
    server: Server,
  ) {
    this.server = server;
    this.metrics = services.metrics ?? null;
    this.metricsServer = this.metrics && services.settings.metricsPort !== null ? metricsOnlyServer(this.metrics) : null;
    const { settings, keys, sessions, orm, metrics } = services;
    const authenticate = createSsoContextNow<User>({ settings, keys, sessions, orm, logger, metrics });
    this.context = (req) => {
      // The SSO context is made afresh for each request: it takes the service's fields itself.
      const withServices = (context: SsoContext<User>): IdentityContext => Object.assign(context, { services, logger: req.log });
      try {
        const context = authenticate({ req, logger: req.log });
        return isPromiseLike(context) ? Promise.resolve(context).then(withServices) : Promise.resolve(withServices(context));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    this.readiness = new DatabaseReadiness({
      ping: () => services.orm.em.getConnection().execute('select 1'),
      timeout: Math.min(2000, services.settings.databaseTimeout * 1000),
      logger,
    });
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
    const metrics = settings.metrics ? (options.metrics ?? new SsoMetrics()) : undefined;
    const onThrottled = (kind: ThrottleKind) => {
      metrics?.loginThrottled(kind);
      options.loginThrottle?.onThrottled?.(kind);
    };
    const services: IdentityComponents = {
      ...createIdentityComponents(settings, keys, orm, options.sessions, { logger, ...options.loginThrottle, onThrottled }),
      metrics,
      signingThread: SigningThread.forSetting(settings.signingThread, options.processes),
    };
    const schema = await buildIdentitySchema(settings, { resolvers: options.resolvers });
    const { app, server } = createHttpApp({
      logger,
      maxBodyBytes: settings.limits.maxBodyBytes,
      scheme: settings.authenticateHeader,
      quietPaths: QUIET_PATHS,
    });
    const nodeEnv = options.nodeEnv ?? process.env.NODE_ENV;
    const limits = requestLimits<IdentityContext>(settings, { nodeEnv });
    const apollo = new ApolloServer<IdentityContext>({
      schema,
      logger,
      formatError: formatSsoError,
      includeStacktraceInErrorResponses: false,
      // The process owner (the CLI) handles signals: it closes the database after Apollo.
      stopOnTerminationSignals: false,
      nodeEnv,
      ...limits,
      // Batches are capped (limits.maxBatchOperations) by the /graphql route, before any operation runs.
      allowBatchedHttpRequests: true,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer: server }),
        // Every answer is a user's own and `no-store` (noStorePlugin): a cache policy computed for
        // each resolved field, as Apollo's default cache-control plugin does, would never be used.
        ApolloServerPluginCacheControlDisabled(),
        errorLogPlugin<IdentityContext>(logger),
        serviceUnavailableStatusPlugin(),
        noStorePlugin<IdentityContext>(),
        ...limits.plugins,
      ],
    });
    await apollo.start();
    const service = new IdentityService(services, schema, apollo, logger, server);
    await registerIdentityRoutes(app, { apollo, services, schema, context: service.context, readiness: () => service.readinessAnswer() });
    await app.ready();
    service.sessionEvents = await listenForSessionChanges(services, logger, options.notifications);
    if (metrics) service.stopObservingDatabase = observeDatabase(orm, metrics);
    return service;
  }

  /** Listens on `port` (0: any free port); resolves with the GraphQL endpoint's URL. */
  async listen(port: number, host?: string): Promise<string> {
    await listenOn(this.server, port, host);
    if (this.metricsServer) await listenOn(this.metricsServer, this.services.settings.metricsPort!, host);
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

  /**
   * Answers `/readyz` 503 from now on and, after `shutdownDelay` seconds of serving on, stops
   * accepting requests, lets in-flight ones finish (for up to 10 s), and stops Apollo.
   * The database is the caller's: close it after this.
   */
  close(): Promise<void> {
    return (this.closing ??= this.drainAndStop());
  }

  private async drainAndStop(): Promise<void> {
    this.stopObservingDatabase?.();
    this.draining = true;
    const delay = this.services.settings.shutdownDelay;
    if (delay > 0 && this.server.listening) {
      this.logger.info({ shutdownDelay: delay }, 'Draining: /readyz answers 503; still serving until the delay is up');
      await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
    await this.sessionEvents?.close();
    if (this.metricsServer?.listening) await new Promise((resolve) => this.metricsServer!.close(resolve));
    if (this.server.listening) await this.apollo.stop();
    else await this.apollo.stop().catch(() => undefined);
    await this.services.loginThrottle?.close();
    await this.services.signingThread?.close();
  }

  /** 200 while the database answers and the service is not shutting down, else 503. */
  private async readinessAnswer(): Promise<Readiness> {
    if (this.draining) return { status: 503, body: { status: 'unready', reason: 'shutting down' } };
    const state = await this.readiness.check();
    const up = state.database === 'up';
    return { status: up ? 200 : 503, body: { status: up ? 'ready' : 'unready', ...state } };
  }
}

function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** `GET /metrics` and nothing else: the scrape port of `settings.metricsPort`. */
function metricsOnlyServer(metrics: SsoMetrics): Server {
  return createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname === '/metrics') {
      serveMetrics(metrics, req, res).catch(() => res.destroy());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: this port serves /metrics only.\n');
  });
}
