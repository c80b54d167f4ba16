import type { GraphQLFieldResolver, GraphQLScalarType } from 'graphql';

/**
 * Resolvers by type and field name, as `buildSubgraphSchema([{ typeDefs, resolvers }])` takes
 * them (`@apollo/subgraph` exports this shape as `GraphQLResolverMap` from 2.15 on only).
 */
export interface ResolverMap<TContext = {}> {
  [typeName: string]:
    | {
        [fieldName: string]:
          | GraphQLFieldResolver<any, TContext>
          | { requires?: string; resolve?: GraphQLFieldResolver<any, TContext>; subscribe?: GraphQLFieldResolver<any, TContext> };
      }
    | GraphQLScalarType
    | { [enumValue: string]: string | number };
}
