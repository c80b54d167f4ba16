import 'reflect-metadata';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { useGenericAuth } from '@envelop/generic-auth';
import { createInlineSigningKeyProvider, extractFromHeader, useJWT } from '@graphql-yoga/plugin-jwt';
import { GraphQLError, parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import jwt from 'jsonwebtoken';
import { applyAuthDirectives, createSsoContext, definePolicies, KeyStore, resolveSettings } from '../src/index.js';

/**
 * One of the four servers of the subgraph bench, serving the same schema and data; argv: the
 * variant, the key store root and the key file. Prints `port <n>` once listening.
 */
const [variant, keyRoot, keyFile] = process.argv.slice(2) as ['sso' | 'off' | 'handrolled' | 'yoga', string, string];
const ACCOUNTS: Record<string, { id: string; name: string; balance: number }> = { '1': { id: '1', name: 'Alice & Co', balance: 1200 } };
const SCOPE = 'accounts:read-balance';
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes", "@policy"])';
const TYPES = (directives: boolean) => `
  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int${directives ? ` @requiresScopes(scopes: [["${SCOPE}"]])` : ''}
  }
  type Query {
    account(id: ID!): Account${directives ? ' @policy(policies: [["account-member"]])' : ''}
  }`;
const publicPem = readFileSync(`${keyRoot}/${keyFile}`, 'utf8');

function denied(message: string, code: string) {
  return new GraphQLError(message, { extensions: { code } });
}

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function main(): Promise<number> {
  if (variant === 'sso') {
    const settings = resolveSettings({ identity: 'otherapp', acceptedIssuers: ['myapp'], verifySessionToken: false, keyStoreRoot: keyRoot, publicKeys: { myapp: [keyFile] } });
    const policies = definePolicies({ 'account-member': ({ claims, args }) => claims.account === args.id });
    const schema = applyAuthDirectives(buildSubgraphSchema([{ typeDefs: parse(LINK + TYPES(true)), resolvers: { Query: { account: (_: unknown, { id }: { id: string }) => ACCOUNTS[id] ?? null } } }]), { policies });
    const apollo = new ApolloServer({ schema });
    const { url } = await startStandaloneServer(apollo, { context: createSsoContext({ settings, keys: KeyStore.load(settings) }), listen: { port: 0, host: '127.0.0.1' } });
    return Number(new URL(url).port);
  }
  if (variant === 'off') {
    const schema = buildSubgraphSchema([{ typeDefs: parse(LINK + TYPES(false)), resolvers: { Query: { account: (_: unknown, { id }: { id: string }) => ACCOUNTS[id] ?? null } } }]);
    const { url } = await startStandaloneServer(new ApolloServer({ schema }), { listen: { port: 0, host: '127.0.0.1' } });
    return Number(new URL(url).port);
  }
  if (variant === 'handrolled') {
    // The common way: jsonwebtoken with the PEM string in the context, checks in the resolvers.
    type Ctx = { claims: jwt.JwtPayload | null };
    const schema = buildSubgraphSchema([
      {
        typeDefs: parse(LINK + TYPES(false)),
        resolvers: {
          Query: {
            account: (_: unknown, { id }: { id: string }, { claims }: Ctx) => {
              if (!claims) throw denied('Not authenticated', 'UNAUTHENTICATED');
              if (claims.account !== id) throw denied('Not a member of this account', 'FORBIDDEN');
              return ACCOUNTS[id] ?? null;
            },
          },
          Account: {
            balance: (account: { balance: number }, _: unknown, { claims }: Ctx) => {
              if (!claims) throw denied('Not authenticated', 'UNAUTHENTICATED');
              if (!(claims.scopes as string[] | undefined)?.includes(SCOPE)) throw denied('Missing scope', 'FORBIDDEN');
              return account.balance;
            },
          },
        },
      },
    ]);
    const { url } = await startStandaloneServer(new ApolloServer<Ctx>({ schema }), {
      context: async ({ req }) => {
        const header = req.headers.authorization;
        if (!header) return { claims: null };
        try {
          const claims = jwt.verify(header.slice(4), publicPem, { algorithms: ['RS256'], audience: 'otherapp', issuer: 'myapp' }) as jwt.JwtPayload;
          return { claims };
        } catch (error) {
          throw new GraphQLError(`Invalid token: ${(error as Error).message}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
      },
      listen: { port: 0, host: '127.0.0.1' },
    });
    return Number(new URL(url).port);
  }
  // GraphQL Yoga with its JWT plugin and envelop's generic-auth (its @requiresScopes).
  type JwtCtx = { jwt?: { payload: Record<string, unknown> } };
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: `directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE\n${TYPES(true).replace(/ @policy\(policies: \[\["account-member"\]\]\)/, '').replace('type Account @key(fields: "id")', 'type Account')}`,
      resolvers: {
        Query: {
          account: (_: unknown, { id }: { id: string }, context: JwtCtx) => {
            if (context.jwt?.payload.account !== id) throw denied('Not a member of this account', 'FORBIDDEN');
            return ACCOUNTS[id] ?? null;
          },
        },
      },
    }),
    graphqlEndpoint: '/',
    logging: false,
    plugins: [
      useJWT({
        signingKeyProviders: [createInlineSigningKeyProvider(publicPem)],
        tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'JWT' })],
        tokenVerification: { algorithms: ['RS256'], audience: 'otherapp', issuer: 'myapp' },
        reject: { missingToken: false, invalidToken: true },
        extendContext: true,
      }),
      useGenericAuth<Record<string, unknown>, JwtCtx & Record<string, unknown>>({
        mode: 'protect-granular',
        resolveUserFn: (context) => context.jwt?.payload ?? null,
        extractScopes: (user) => (user.scopes as string[] | undefined) ?? [],
      }),
    ],
  });
  return listen(yoga);
}

main().then(
  (port) => process.stdout.write(`port ${port}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
