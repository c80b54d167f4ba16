import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { authDirectiveTypeDefs, type ResolverMap } from '../../../src/index.js';

/** The federation `@link` of the test subgraphs (v2.6: the first with `@policy`). */
export const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])';

export function subgraph(sdl: string, resolvers: ResolverMap<unknown> = {}): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
}

/**
 * A schema that is not a federation subgraph, with the directive definitions of
 * `authDirectiveTypeDefs`: the directives where `@apollo/subgraph` 2.14 refuses them (interfaces)
 * and 2.15 accepts them.
 */
export function plainSchema(sdl: string, resolvers: ResolverMap<unknown> = {}): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, sdl], resolvers: resolvers as never });
}

/** Verified claims as `createSsoContext` puts them in `context.auth`. */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { token: 'auth', iss: 'myapp', uid: 'u1', sid: 's1', ...extra };
}

export interface Result {
  /** `undefined` unless something set an HTTP status (field errors must not). */
  status: number | undefined;
  data: Record<string, any> | null | undefined;
  errors: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, any> }[];
  headers: Map<string, string>;
}

export interface TestServer {
  server: ApolloServer<Record<string, unknown>>;
  /** Runs an operation with `{ auth, user }` as the context value. */
  run(
    query: string,
    options?: { auth?: Record<string, unknown> | null; user?: unknown; variables?: Record<string, unknown> },
  ): Promise<Result>;
  stop(): Promise<void>;
}

export async function serve(
  schema: GraphQLSchema,
  plugins: ApolloServerPlugin<Record<string, unknown>>[] = [],
  options: { formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError } = {},
): Promise<TestServer> {
  const server = new ApolloServer<Record<string, unknown>>({
    schema,
    ...options,
    plugins: [ApolloServerPluginInlineTraceDisabled(), ...plugins],
  });
  await server.start();
  return {
    server,
    async run(query, options = {}) {
      const response = await server.executeOperation(
        { query, variables: options.variables },
        { contextValue: { auth: options.auth ?? null, user: options.user ?? null } },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      const { data, errors } = response.body.singleResult;
      return {
        status: response.http.status,
        // Plain objects (graphql-js builds null-prototype ones), for deepEqual.
        data: data === undefined ? undefined : JSON.parse(JSON.stringify(data)),
        errors: JSON.parse(JSON.stringify(errors ?? [])) as Result['errors'],
        headers: new Map(response.http.headers),
      };
    },
    stop: () => server.stop(),
  };
}

/** The codes of a result's errors, by path (`Query.account` -> `"account"`). */
export function codes(result: Result): Record<string, string> {
  return Object.fromEntries(result.errors.map((e) => [(e.path ?? []).join('.'), String(e.extensions?.code)]));
}
