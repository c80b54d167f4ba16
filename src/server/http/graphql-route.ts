import type { IncomingMessage } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { RequestLimits } from '../../config/settings.js';
import { RequestError } from '../../errors.js';

export interface GraphQLRouteOptions<TContext extends BaseContext> {
  /** Builds the context of one request from the `node:http` request (`req.log` is its logger). */
  context: (req: IncomingMessage) => Promise<TContext>;
  limits: Pick<RequestLimits, 'maxBatchOperations'>;
}

/**
 * `/graphql` (and `/graphql/`), every method, served by Apollo Server through its Fastify
 * integration: Apollo's own rules for GET and POST, CSRF prevention and error statuses. JSON
 * bodies are parsed by Fastify (up to its `bodyLimit`); any other body is read as text, so that
 * Apollo, not Fastify, refuses it (a form post is a CSRF refusal, not a 415). A batch over
 * `limits.maxBatchOperations` is refused 400 before any of its operations runs: Apollo Server
 * would run them all at once.
 */
export function graphQLRoute<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  { context, limits }: GraphQLRouteOptions<TContext>,
) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.addHook('preHandler', async (request) => {
      const { body } = request;
      if (Array.isArray(body) && body.length > limits.maxBatchOperations) {
        throw new RequestError(
          'REQUEST_INVALID',
          `A batch of ${body.length} operations exceeds the limit of ${limits.maxBatchOperations} (setting limits.maxBatchOperations).`,
        );
      }
    });
    scope.all('/graphql', fastifyApolloHandler(apollo, { context: (request) => context(request.raw) }));
  };
}
