import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/**
 * Answers HTTP 503 when a whole operation failed because something it depends on is unavailable:
 * no data, and a `SERVICE_UNAVAILABLE` error (e.g. a login while the database is down), so that
 * clients and load balancers may retry. A partial result keeps 200, as GraphQL has it.
 */
export function serviceUnavailableStatusPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || (response.http.status ?? 200) !== 200) return;
          const { data, errors } = response.body.singleResult;
          if (data == null && errors?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) response.http.status = 503;
        },
      };
    },
  };
}
