import type { IncomingMessage } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { IdentityContext, IdentityComponents } from '../../identity/components.js';
import { corsHook } from './cors.js';
import { serveMetrics } from '../../observability/serve-metrics.js';
import { drfViews } from '../rest/lib/view.js';
import { obtainAuthorizationTokenView } from '../rest/obtain-authorization-token.js';
import { obtainSessionTokenView } from '../rest/obtain-session-token.js';
import { graphQLRoute } from './graphql-route.js';

/** A readiness answer: 200 or 503, and its JSON body. */
export interface Readiness {
  status: number;
  body: Record<string, unknown>;
}

export interface IdentityRoutesOptions {
  apollo: ApolloServer<IdentityContext>;
  services: IdentityComponents;
  schema: GraphQLSchema;
  context: (req: IncomingMessage) => Promise<IdentityContext>;
  /** What `/readyz` answers now. */
  readiness: () => Promise<Readiness>;
}

/**
 * The identity service's routes: `/graphql`, django-rest-framework-sso's `/session/` and
 * `/authorize/`, `GET`/`HEAD /.well-known/jwks.json` (cacheable for 5 minutes; another method 405),
 * `GET /healthz` (liveness), `GET /readyz` (readiness, never cached), and `/metrics` unless
 * `settings.metrics` is false or it has a port of its own (`metricsPort`). CORS for `corsOrigins`. `HEAD` is served wherever `GET` is.
 */
export async function registerIdentityRoutes(app: FastifyInstance, options: IdentityRoutesOptions): Promise<void> {
  const { apollo, services, schema, context, readiness } = options;
  if (services.settings.corsOrigins.length > 0) app.addHook('onRequest', corsHook(services.settings.corsOrigins));
  await app.register(graphQLRoute(apollo, { context, limits: services.settings.limits }));
  await app.register(drfViews([obtainSessionTokenView(services), obtainAuthorizationTokenView(services, schema)], { services, context }));
  app.all('/.well-known/jwks.json', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply
        .code(405)
        .header('allow', 'GET, HEAD')
        .send({ error: `Method ${request.method} not allowed.` });
    }
    return reply.header('cache-control', 'public, max-age=300').send(services.keys.toJwks());
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { status, body } = await readiness();
    return reply.code(status).header('cache-control', 'no-store').send(body);
  });
  const { metrics } = services;
  if (metrics && services.settings.metricsPort === null) {
    app.all('/metrics', async (request, reply) => {
      // The scrape is answered as a subgraph's is, on the raw response.
      reply.hijack();
      await serveMetrics(metrics, request.raw, reply.raw);
    });
  }
}
