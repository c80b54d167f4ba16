import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { SsoError } from '../errors.js';

/**
 * An Apollo plugin that logs the errors of a GraphQL request with the request's logger
 * (`contextValue.logger`, else `fallback`), so that they carry its `requestId`. An error a
 * resolver did not mean (not an `SsoError` nor a `GraphQLError`) is logged at `error` with its
 * stack; the client's own errors (bad credentials, invalid input) at `debug`, by code only: their
 * messages may quote the variables they refuse.
 */
export function errorLogPlugin<TContext extends BaseContext & { logger?: Logger }>(fallback: Logger): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          const logger = contextValue.logger ?? fallback;
          for (const error of errors) {
            const original = error.originalError;
            if (original && !(original instanceof SsoError) && !(original instanceof GraphQLError)) {
              logger.error({ err: original, operationName, path: error.path }, 'GraphQL resolver failed');
            } else {
              const reason = original instanceof SsoError ? original.code : error.extensions.reason;
              logger.debug({ code: error.extensions.code, reason, operationName, path: error.path }, 'GraphQL error');
            }
          }
        },
      };
    },
  };
}
