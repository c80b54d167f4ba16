import { buildSubgraphSchema } from '@apollo/subgraph';
import type { ResolverMap } from 'graphql-sso';
import { parse, type GraphQLSchema } from 'graphql';
import { applyAuthDirectives, definePolicies, ForbiddenError, type AuthDirectivesOptions, type SsoContext } from 'graphql-sso';
import type { Account, LocalUser } from './entities.js';
import type { AccountService } from './services.js';

export type OtherappContext = SsoContext<LocalUser> & { accounts: AccountService };

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])

  type Account @key(fields: "id") {
    id: ID!
    name: String!
    "Only with the owner's scope, in a token for this very account."
    balance: Int @requiresScopes(scopes: [["accounts:read-balance"]]) @policy(policies: [["account-member"]])
  }

  "The identity service's user, extended with what otherapp knows about them."
  type User @key(fields: "id") {
    id: ID!
    accounts: [Account!]! @authenticated
  }

  type Query {
    "An account, for a token minted for it (obtainAuthorizationToken(account: ...))."
    account(id: ID!): Account @policy(policies: [["account-member"]])
    "Anyone may ask."
    publicStatus: String
  }
`);

/**
 * `account-member`: the token is for this account — its `account` claim equals the `id`
 * argument (`Query.account`) or the parent account's id (`Account.balance`).
 */
export const policies = definePolicies<OtherappContext>({
  'account-member': ({ claims, args, parent }) => {
    const accountId = args.id ?? (parent as Partial<Account> | undefined)?.id;
    return accountId !== undefined && claims.account !== undefined && String(claims.account) === String(accountId);
  },
});

const resolvers: ResolverMap<OtherappContext> = {
  Query: {
    account: (_parent, { id }: { id: string }, { accounts }) => accounts.findById(id),
    publicStatus: () => 'otherapp is up',
  },
  User: {
    accounts: async (user: { id: string }, _args, { auth, accounts }) => {
      // A federated query may name any user; only one's own memberships are listed.
      if (String(auth?.uid) !== user.id) throw new ForbiddenError('You can list only your own accounts.');
      return accounts.forMember(user.id);
    },
  },
  Account: {
    // Another subgraph may reference any account: resolve only those of the token's user.
    __resolveReference: async ({ id }: { id: string }, { auth, accounts }: OtherappContext) => {
      if (!auth) return null;
      const mine = await accounts.forMember(String(auth.uid));
      return mine.find((account) => account.id === id) ?? null;
    },
  },
};

/** otherapp's schema: a Federation 2 subgraph whose directives it enforces itself. */
export function buildOtherappSchema(options: Pick<AuthDirectivesOptions<OtherappContext>, 'mode'> = {}): GraphQLSchema {
  return applyAuthDirectives(buildSubgraphSchema([{ typeDefs, resolvers }]), {
    ...options,
    policies,
  } as AuthDirectivesOptions<OtherappContext>);
}
