import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';

/** The one operation every server of the subgraph bench answers. */
export const SUBGRAPH_QUERY = '{ account(id: "1") { name balance } }';

/** Where the verifying side finds the issuer's public key (a PEM file holding only that key). */
export interface ServerKeys {
  /** The tokens' `iss`. */
  issuer: string;
  /** The service's own name: the audience it accepts. */
  audience: string;
  keyStoreRoot: string;
  /** Relative to `keyStoreRoot`; its name without `.pem` is the tokens' `kid`. */
  publicKeyFile: string;
}

export const SCOPE = 'accounts:read-balance';
export const POLICY = 'account-member';

export const TYPE_DEFS = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes", "@policy"])

  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int @requiresScopes(scopes: [["${SCOPE}"]])
  }

  type Query {
    account(id: ID!): Account @policy(policies: [["${POLICY}"]])
    publicStatus: String
  }
`);

export const ACCOUNTS: ReadonlyMap<string, { id: string; name: string; balance: number }> = new Map([
  ['1', { id: '1', name: 'Alice & Co', balance: 1200 }],
  ['2', { id: '2', name: 'Bob Ltd', balance: 80 }],
]);

/** `account-member`, as every server checks it: the token's `account` claim is the `id` asked for. */
export function isAccountMember(claims: Record<string, unknown>, args: Record<string, unknown>): boolean {
  return claims.account !== undefined && args.id !== undefined && String(claims.account) === String(args.id);
}

export function hasScope(claims: Record<string, unknown>, scope: string): boolean {
  return Array.isArray(claims.scopes) && claims.scopes.includes(scope);
}

/** The plain subgraph schema, with `resolvers` extra to (or instead of) the plain ones. */
export function subgraphSchema(resolvers: { Query?: Record<string, unknown>; Account?: Record<string, unknown> } = {}): GraphQLSchema {
  return buildSubgraphSchema([
    {
      typeDefs: TYPE_DEFS,
      resolvers: {
        Query: { account: (_: unknown, { id }: { id: string }) => ACCOUNTS.get(id) ?? null, publicStatus: () => 'up', ...resolvers.Query },
        ...(resolvers.Account ? { Account: resolvers.Account } : {}),
      } as never,
    },
  ]);
}
