import { buildSubgraphSchema } from '@apollo/subgraph';
import type { ResolverMap } from '../lib/resolver-map.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { ssoAuthChecker } from '../auth/auth-checker.js';
import type { SsoSettings } from '../config/settings.js';
import { MeResolver } from './graphql/me-resolver.js';
import { SessionResolver } from './graphql/session-resolver.js';
import { createTokenResolver } from './graphql/token-resolver.js';
import { resolveUserReference } from './graphql/user-reference.js';
import type { IdentityContext } from './components.js';

/** The Federation 2 version and directives the identity subgraph declares. */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])';

export interface IdentitySchemaOptions {
  /** More type-graphql resolvers of the application, served beside ours. */
  resolvers?: Function[];
  /** More resolvers by type name, e.g. `__resolveReference` of the application's own entities. */
  resolverMap?: ResolverMap<IdentityContext>;
}

/**
 * The identity service's schema, a Federation 2 subgraph in which `User @key(fields: "id")` is an
 * entity other subgraphs extend. Its printed SDL is `schema.graphql`.
 */
export async function buildIdentitySchema(
  settings: Pick<SsoSettings, 'authorizationArgs'>,
  options: IdentitySchemaOptions = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [createTokenResolver(settings), MeResolver, SessionResolver, ...(options.resolvers ?? [])] as NonEmptyArray<Function>,
    authChecker: ssoAuthChecker,
    validate: false,
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as ResolverMap<IdentityContext>;
  const userResolvers = (resolvers.User ?? {}) as Record<string, unknown>;
  resolvers.User = {
    ...userResolvers,
    __resolveReference: resolveUserReference,
  };
  for (const [type, fields] of Object.entries(options.resolverMap ?? {})) {
    resolvers[type] = { ...(resolvers[type] as object), ...(fields as object) } as never;
  }
  return buildSubgraphSchema([{ typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`), resolvers }]);
}
