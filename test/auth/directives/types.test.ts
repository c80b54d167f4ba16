import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { claims, codes, plainSchema, serve, type TestServer } from './support.js';

const SDL = `
  type Account @authenticated {
    id: ID!
    name: String!
  }
  interface Node @requiresScopes(scopes: [["nodes"]]) {
    id: ID!
  }
  interface Owned {
    owner: String @requiresScopes(scopes: [["owners"]])
  }
  type Document implements Node & Owned {
    id: ID!
    owner: String
    title: String
  }
  type Article {
    title: String
  }
  union SearchResult = Account | Article
  type Secret @requiresScopes(scopes: [["secret"]]) {
    code: String
  }
  type Wallet {
    id: ID!
    secret: Secret!
  }
  type Query {
    publicStatus: String
    account: Account
    accounts: [Account!]!
    richAccount: Account @requiresScopes(scopes: [["rich"]])
    document: Document
    node: Node
    owned: Owned
    search: [SearchResult]
    first: SearchResult
    wallet: Wallet
    wallets: [Wallet!]
  }
  type Mutation @authenticated {
    ping: String
  }
`;

const account = { __typename: 'Account', id: '1', name: 'one' };
const article = { __typename: 'Article', title: 'news' };
const document = { __typename: 'Document', id: 'd1', owner: 'alice', title: 'doc' };
const wallet = { id: 'w1', secret: { code: '1234' } };
const resolvers = {
  Query: {
    publicStatus: () => 'ok',
    account: () => account,
    accounts: () => [account, account],
    richAccount: () => account,
    document: () => document,
    node: () => document,
    owned: () => document,
    search: () => [article, account],
    first: () => Promise.resolve(account),
    wallet: () => wallet,
    wallets: () => [wallet],
  },
  SearchResult: { __resolveType: (value: { __typename: string }) => value.__typename },
  Node: { __resolveType: (value: { __typename: string }) => value.__typename },
  Owned: { __resolveType: (value: { __typename: string }) => value.__typename },
  Mutation: { ping: () => 'pong' },
};

describe('type-level directives guard the fields returning the type', () => {
  let t: TestServer;
  before(async () => {
    t = await serve(applyAuthDirectives(plainSchema(SDL, resolvers)));
  });
  after(() => t.stop());

  it('an @authenticated object type guards fields returning it, and lists of it', async () => {
    const anonymous = await t.run('{ publicStatus account { id } accounts { id } }');
    assert.deepEqual(anonymous.data, null, 'accounts is non-null, so the denial reaches the root');
    assert.deepEqual(codes(anonymous), { account: 'UNAUTHENTICATED', accounts: 'UNAUTHENTICATED' });
    const partial = await t.run('{ publicStatus account { id } }');
    assert.deepEqual(partial.data, { publicStatus: 'ok', account: null });
    assert.equal(partial.errors[0].message, 'Field "Query.account" requires authentication');
    const signedIn = await t.run('{ account { id } accounts { name } }', { auth: claims() });
    assert.deepEqual(signedIn.data, { account: { id: '1' }, accounts: [{ name: 'one' }, { name: 'one' }] });
  });

  it('combines the field and the return type requirements', async () => {
    assert.deepEqual(codes(await t.run('{ richAccount { id } }')), { richAccount: 'UNAUTHENTICATED' });
    assert.deepEqual(codes(await t.run('{ richAccount { id } }', { auth: claims() })), { richAccount: 'FORBIDDEN' });
    assert.deepEqual((await t.run('{ richAccount { id } }', { auth: claims({ scopes: ['rich'] }) })).data, { richAccount: { id: '1' } });
  });

  it('an interface-level directive guards fields returning the interface and its implementations', async () => {
    const denied = await t.run('{ node { id } document { id } }', { auth: claims() });
    assert.deepEqual(denied.data, { node: null, document: null });
    assert.deepEqual(codes(denied), { node: 'FORBIDDEN', document: 'FORBIDDEN' });
    const allowed = await t.run('{ node { id } document { id title } }', { auth: claims({ scopes: ['nodes'] }) });
    assert.deepEqual(allowed.data, { node: { id: 'd1' }, document: { id: 'd1', title: 'doc' } });
  });

  it('an interface field directive guards the implementing field, however it is selected', async () => {
    const auth = claims({ scopes: ['nodes'] });
    const denied = await t.run('{ document { title owner } owned { owner } node { ... on Document { owner } } }', { auth });
    assert.deepEqual(denied.data, { document: { title: 'doc', owner: null }, owned: { owner: null }, node: { owner: null } });
    assert.deepEqual(codes(denied), { 'document.owner': 'FORBIDDEN', 'owned.owner': 'FORBIDDEN', 'node.owner': 'FORBIDDEN' });
    assert.equal(denied.errors[0].message, 'Field "Document.owner" requires one of the scope sets [owners]');
    const allowed = await t.run('{ document { owner } }', { auth: claims({ scopes: ['nodes', 'owners'] }) });
    assert.deepEqual(allowed.data, { document: { owner: 'alice' } });
  });

  it('checks the runtime type of a union or interface result', async () => {
    const anonymous = await t.run('{ search { __typename } first { __typename } }');
    assert.deepEqual(anonymous.data, { search: [{ __typename: 'Article' }, null], first: null });
    assert.deepEqual(codes(anonymous), { 'search.1': 'UNAUTHENTICATED', first: 'UNAUTHENTICATED' });
    assert.equal(
      anonymous.errors.find((e) => e.path?.[0] === 'first')?.message,
      'Field "Query.first" returning "Account" requires authentication',
    );
    const signedIn = await t.run('{ search { __typename } first { ... on Account { id } } }', { auth: claims() });
    assert.deepEqual(signedIn.data, { search: [{ __typename: 'Article' }, { __typename: 'Account' }], first: { id: '1' } });
  });

  it('a denied non-null field nulls its parent; sibling data is kept', async () => {
    const result = await t.run('{ publicStatus wallet { id secret { code } } wallets { id secret { code } } }', { auth: claims() });
    assert.deepEqual(result.data, { publicStatus: 'ok', wallet: null, wallets: null });
    assert.deepEqual(codes(result), { 'wallet.secret': 'FORBIDDEN', 'wallets.0.secret': 'FORBIDDEN' });
    const allowed = await t.run('{ wallet { secret { code } } }', { auth: claims({ scopes: ['secret'] }) });
    assert.deepEqual(allowed.data, { wallet: { secret: { code: '1234' } } });
  });

  it('a directive on a root type guards all its fields', async () => {
    assert.deepEqual(codes(await t.run('mutation { ping }')), { ping: 'UNAUTHENTICATED' });
    assert.deepEqual((await t.run('mutation { ping }', { auth: claims() })).data, { ping: 'pong' });
  });
});
