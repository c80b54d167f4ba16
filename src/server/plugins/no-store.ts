import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/**
 * `Cache-Control: no-store` on every GraphQL answer of the identity service: its mutations answer
 * tokens and its queries a user's own data (`me`, `mySessions`), none of which a browser, a proxy
 * or a CDN may keep.
 */
export function noStorePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
