import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import jwt from 'jsonwebtoken';
import { applyAuthDirectives, createSsoContext, definePolicies, formatSsoError, resolveSettings } from '../../src/index.js';
import { ACCOUNTS, hasScope, isAccountMember, POLICY, SCOPE, subgraphSchema, type ServerKeys } from './subgraph-schema.js';
import { startYoga } from './subgraph-yoga.js';

/**
 * The servers of the subgraph bench (issue 5, item 3). Each serves the same subgraph schema (the
 * demo's otherapp, trimmed to `Account`), the same in-memory data and the same resolvers; they
 * differ only in how a request's `Authorization: JWT <token>` is verified and how
 * `@requiresScopes` / `@policy` are enforced. Each runs in a process of its own (`subgraph-child`).
 */
// The tightest ratio, graphql-sso against auth off, is of neighbours in (nearly) every rotated round.
export const SERVER_KINDS = ['sso', 'off', 'sso-nocache', 'handrolled', 'yoga'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

async function startApollo<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context?: (arg: { req: import('node:http').IncomingMessage }) => Promise<TContext>,
): Promise<number> {
  const listen = { port: 0, host: '127.0.0.1' };
  const { url } = context
    ? await startStandaloneServer(apollo, { context, listen })
    : await startStandaloneServer(apollo as unknown as ApolloServer<BaseContext>, { listen });
  return Number(new URL(url).port);
}

/** (A) graphql-sso: `createSsoContext` + `applyAuthDirectives`, configured as examples/otherapp is. */
function startSso(keys: ServerKeys, tokenCache: boolean): Promise<number> {
  const settings = resolveSettings({
    identity: keys.audience,
    acceptedIssuers: [keys.issuer],
    verifySessionToken: false,
    keyStoreRoot: keys.keyStoreRoot,
    publicKeys: { [keys.issuer]: [keys.publicKeyFile] },
    ...(tokenCache ? {} : { verifiedTokenCacheSize: 0 }),
  });
  const policies = definePolicies({ [POLICY]: ({ claims, args }) => isAccountMember(claims, args) });
  const schema = applyAuthDirectives(subgraphSchema(), { policies });
  const apollo = new ApolloServer({ schema, formatError: formatSsoError, includeStacktraceInErrorResponses: false });
  return startApollo(apollo, createSsoContext({ settings }));
}

/** (B) The same subgraph with no authentication and no directives enforced. */
function startOff(): Promise<number> {
  return startApollo(new ApolloServer({ schema: subgraphSchema() }));
}

function denied(message: string, code: 'UNAUTHENTICATED' | 'FORBIDDEN'): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * (C) What a subgraph commonly hand-rolls: `jwt.verify(token, pem)` in the context function, with
 * the PEM string as read from the file, and the checks written into the resolvers.
 */
function startHandrolled(keys: ServerKeys): Promise<number> {
  type Context = { claims: jwt.JwtPayload | null };
  const pem = readFileSync(join(keys.keyStoreRoot, keys.publicKeyFile), 'utf8');
  const schema = subgraphSchema({
    Query: {
      account: (_: unknown, args: { id: string }, { claims }: Context) => {
        if (!claims) throw denied('Not authenticated.', 'UNAUTHENTICATED');
        if (!isAccountMember(claims, args)) throw denied('Not a member of this account.', 'FORBIDDEN');
        return ACCOUNTS.get(args.id) ?? null;
      },
    },
    Account: {
      balance: (account: { balance: number }, _: unknown, { claims }: Context) => {
        if (!claims) throw denied('Not authenticated.', 'UNAUTHENTICATED');
        if (!hasScope(claims, SCOPE)) throw denied(`Missing scope ${SCOPE}.`, 'FORBIDDEN');
        return account.balance;
      },
    },
  });
  return startApollo(new ApolloServer<Context>({ schema }), async ({ req }) => {
    const header = req.headers.authorization;
    if (!header) return { claims: null };
    const [scheme, token] = header.split(' ');
    try {
      if (scheme?.toLowerCase() !== 'jwt' || !token) throw new Error('expected "JWT <token>"');
      const claims = jwt.verify(token, pem, { algorithms: ['RS256'], audience: keys.audience, issuer: keys.issuer });
      if (typeof claims === 'string') throw new Error('payload is not an object');
      return { claims };
    } catch (error) {
      throw new GraphQLError(`Invalid token: ${(error as Error).message}`, {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
  });
}

/** Starts a server of `kind` on an ephemeral loopback port and returns the port. */
export function startSubgraphServer(kind: ServerKind, keys: ServerKeys): Promise<number> {
  switch (kind) {
    case 'sso':
      return startSso(keys, true);
    case 'sso-nocache':
      return startSso(keys, false);
    case 'off':
      return startOff();
    case 'handrolled':
      return startHandrolled(keys);
    case 'yoga': {
      const server = createServer(startYoga(keys));
      return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    }
  }
}
