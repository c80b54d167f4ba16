import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { SsoError } from '../errors.js';
import { serverErrorLog } from '../lib/hooks.js';
import { normalizeError } from '../lib/normalize-error.js';

/**
 * The `SsoError` behind a GraphQL error that is answered as a server error (a `HookError`, or an
 * `SsoError` that is no refusal; `normalizeError` decides), if any: graphql-js wraps what a
 * resolver throws, and a guarded field's failure is already a `GraphQLError` wrapping it.
 */
function internalErrorOf(error: GraphQLError): SsoError | undefined {
  let original: unknown = error.originalError;
  while (original instanceof GraphQLError) original = original.originalError;
  return original instanceof SsoError && normalizeError(original).internal ? original : undefined;
}

/**
 * An Apollo plugin that logs the errors of a GraphQL request with the request's logger
 * (`contextValue.logger`, else `fallback`), so that they carry its `requestId`. An error a
 * resolver did not mean (not an `SsoError` nor a `GraphQLError`) is logged at `error` with its
 * stack; so is the cause of a `HookError` (a hook or `@policy` that failed unexpectedly: clients
 * see only `INTERNAL_SERVER_ERROR`), with the hook's name, once per request however many fields
 * it failed (a lazily looked-up `ctx.user` fails each field that awaits it). The client's own
 * errors (bad credentials, invalid input) are logged at `debug`, by code only: their messages
 * may quote the variables they refuse.
 */
export function errorLogPlugin<TContext extends BaseContext = BaseContext>(fallback: Logger): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const logged = new Set<SsoError>();
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          // Any context may carry one (the identity service's does); SsoContext has none of its own.
          const logger = (contextValue as { logger?: Logger }).logger ?? fallback;
          for (const error of errors) {
            const original = error.originalError;
            const internal = internalErrorOf(error);
            if (internal) {
              if (logged.has(internal)) continue;
              logged.add(internal);
              logger.error({ ...serverErrorLog(internal), operationName, path: error.path }, 'GraphQL resolver failed');
            } else if (original && !(original instanceof SsoError) && !(original instanceof GraphQLError)) {
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
