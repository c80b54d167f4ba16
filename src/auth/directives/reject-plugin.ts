import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { getVariableValues } from 'graphql';
import { SsoError } from '../../errors.js';
import { readState } from './lib/state.js';
import { firstDenial } from './lib/walk.js';

/**
 * The Apollo Server plugin of `mode: 'reject'`. Before execution it walks the operation (see
 * `firstDenial`) and, when a selected field's static requirement is unmet, refuses the whole
 * operation with one error and executes nothing: `UNAUTHENTICATED` with HTTP 401 and a
 * `WWW-Authenticate` challenge when the request is anonymous, `FORBIDDEN` with 403 when a scope
 * set is missing. Static means what needs no arguments: authentication and scopes (and, since a
 * policy implies authentication, an anonymous request selecting a `@policy` field). Policies
 * themselves are still checked at resolve time by the wrapped resolvers.
 *
 * Everything comes from the schema: `applyAuthDirectives(schema, { mode: 'reject', ... })`. The
 * server fails to start when its schema was not transformed that way.
 */
export function authDirectivesPlugin<TContext extends BaseContext = BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async serverWillStart({ schema }) {
      if (readState(schema)?.mode !== 'reject') {
        throw new SsoError(
          'INVALID_SETTINGS',
          "authDirectivesPlugin needs a schema transformed by applyAuthDirectives(schema, { mode: 'reject' }).",
        );
      }
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          const state = readState(schema);
          if (state?.mode !== 'reject' || !operation) return;
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          // Bad variables: execution reports them; there is nothing to authorize yet.
          if (coerced.errors) return;
          const claims = state.enforcer.claims(contextValue);
          const refusal = { refuseRequest: true, scheme: state.scheme };
          const denial = firstDenial(state.index, { schema, document, operation, variables: coerced.coerced }, (requirements, subject) =>
            state.enforcer.staticDenial(requirements, claims, subject, refusal),
          );
          if (denial) throw denial;
        },
      };
    },
  };
}
