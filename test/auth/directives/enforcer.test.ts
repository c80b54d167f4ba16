import { after, before, describe, it } from 'node:test';
import type { IncomingMessage } from 'node:http';
import assert from 'node:assert/strict';
import { execute, executeSync, parse } from 'graphql';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { definePolicies } from '../../../src/auth/directives/policies.js';
import { AuthenticationError } from '../../../src/errors.js';
import { createSsoContext } from '../../../src/auth/context.js';
import { resolveSettings } from '../../../src/config/resolve.js';
import { encodeJwtToken } from '../../../src/jwt/encode.js';
import { KeyStore } from '../../../src/jwt/key-store.js';
import { createKeyDir, type TestKeyDir } from '../../support/keys.js';
import { LINK, claims, subgraph } from './support.js';

const SDL = `${LINK}
  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int @requiresScopes(scopes: [["accounts:read-balance"]]) @policy(policies: [["account-member"]])
  }
  type Query {
    account(id: ID!): Account @policy(policies: [["account-member"]])
  }
`;
const ACCOUNT = { id: '1', name: 'Alice & Co', balance: 1200 };
const policies = definePolicies({
  'account-member': ({ claims: c, args, parent }) => String(c.account) === String(args.id ?? (parent as { id?: string } | undefined)?.id),
});
const schema = () => applyAuthDirectives(subgraph(SDL, { Query: { account: () => ACCOUNT } }), { policies });
const QUERY = parse('{ account(id: "1") { name balance } }');
const AUTH = claims({ account: '1', scopes: ['accounts:read-balance'] });

/** A promise-like user, as `createSsoContext`'s lazy `ctx.user`, counting how often it is awaited. */
function countedUser(outcome: () => Promise<unknown>) {
  const user = {
    awaited: 0,
    then: (onFulfilled: (value: unknown) => unknown, onRejected: (error: unknown) => unknown) => {
      user.awaited += 1;
      return outcome().then(onFulfilled, onRejected);
    },
  };
  return user;
}

describe('the enforcer', () => {
  it('keeps guarded fields synchronous when the user is a value and the policies answer synchronously', () => {
    const result = executeSync({ schema: schema(), document: QUERY, contextValue: { auth: AUTH, user: { id: 'u1' } } });
    assert.deepEqual(JSON.parse(JSON.stringify(result)), { data: { account: { name: 'Alice & Co', balance: 1200 } } });
  });

  it('refuses synchronously too', () => {
    const result = executeSync({
      schema: schema(),
      document: QUERY,
      contextValue: { auth: claims({ account: '2', scopes: [] }), user: null },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(result.data)), { account: null });
    assert.equal(result.errors?.[0]?.extensions.code, 'FORBIDDEN');
  });

  it('awaits a promised user once: nested guarded fields read how it settled', async () => {
    const user = countedUser(async () => ({ id: 'u1' }));
    const result = await execute({ schema: schema(), document: QUERY, contextValue: { auth: AUTH, user } });
    assert.deepEqual(JSON.parse(JSON.stringify(result)), { data: { account: { name: 'Alice & Co', balance: 1200 } } });
    assert.equal(user.awaited, 1);
  });

  it('fails every guarded field of a request whose promised user is refused, also after it settled', async () => {
    const user = countedUser(async () => {
      throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
    });
    const sdl = `${LINK}
      type Query {
        first: Account @policy(policies: [["account-member"]])
      }
      type Account { id: ID! balance: Int @requiresScopes(scopes: [["accounts:read-balance"]]) }`;
    // The second run presents the same, by then settled, user: it is refused without being awaited again.
    const guarded = applyAuthDirectives(subgraph(sdl, { Query: { first: () => ACCOUNT } }), { policies });
    const document = parse('{ first { balance } }');
    for (let i = 0; i < 2; i += 1) {
      const result = await execute({ schema: guarded, document, contextValue: { auth: AUTH, user } });
      assert.deepEqual(JSON.parse(JSON.stringify(result.data)), { first: null });
      assert.equal(result.errors?.[0]?.extensions.code, 'UNAUTHENTICATED');
      assert.equal(result.errors?.[0]?.message, 'User inactive or deleted.');
    }
    assert.equal(user.awaited, 1);
  });
});

describe('the enforcer with the context of createSsoContext', () => {
  let dir: TestKeyDir;
  let token: string;
  let context: (req: IncomingMessage) => Promise<unknown>;
  before(async () => {
    dir = createKeyDir();
    const file = await dir.add('myapp-1');
    const issuer = resolveSettings({
      identity: 'myapp',
      keyStoreRoot: dir.root,
      privateKeys: { myapp: [file] },
      authorizationAudience: ['otherapp'],
    });
    token = encodeJwtToken(
      { token: 'auth', sid: 's1', uid: 'u1', account: '1', scopes: ['accounts:read-balance'] },
      { settings: issuer, keys: KeyStore.load(issuer) },
    ) as string;
    // A subgraph with no user table: the built-in authenticatePayload takes the user from the claims.
    const settings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      keyStoreRoot: dir.root,
      publicKeys: { myapp: [file] },
    });
    const build = createSsoContext({ settings });
    context = (req) => build({ req });
  });
  after(() => dir.remove());

  const request = (authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;

  it('runs fields guarded by policies synchronously: the user in the claims is known at once', async () => {
    const seen: unknown[] = [];
    const guarded = applyAuthDirectives(subgraph(SDL, { Query: { account: () => ACCOUNT } }), {
      policies: definePolicies({
        'account-member': ({ claims: c, user, args, parent }) => {
          seen.push(user);
          return String(c.account) === String(args.id ?? (parent as { id?: string }).id);
        },
      }),
    });
    const contextValue = await context(request(`JWT ${token}`));
    const result = execute({ schema: guarded, document: QUERY, contextValue });
    assert.ok(!(result instanceof Promise), 'execution finished without awaiting anything');
    assert.deepEqual(JSON.parse(JSON.stringify(result)), { data: { account: { name: 'Alice & Co', balance: 1200 } } });
    assert.deepEqual(seen, [
      { id: 'u1', email: null },
      { id: 'u1', email: null },
    ]);
  });

  it('refuses an anonymous request synchronously', async () => {
    const result = execute({ schema: schema(), document: QUERY, contextValue: await context(request()) });
    assert.ok(!(result instanceof Promise));
    assert.deepEqual(JSON.parse(JSON.stringify(result.data)), { account: null });
    assert.equal(result.errors?.[0]?.extensions.code, 'UNAUTHENTICATED');
  });
});
