import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServer } from '@apollo/server';
import { getIntrospectionQuery } from 'graphql';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { authDirectivesPlugin } from '../../../src/auth/directives/reject-plugin.js';
import { LINK, claims, codes, serve, subgraph, type TestServer } from './support.js';

const SDL = `${LINK}
  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int @requiresScopes(scopes: [["accounts:read-balance"]])
  }
  type Vault @key(fields: "id") @authenticated {
    id: ID!
  }
  interface Node {
    id: ID!
    secret: String
  }
  type Note implements Node {
    id: ID!
    secret: String @requiresScopes(scopes: [["notes:secret"]])
  }
  type Query {
    node: Node
    account(id: ID!): Account @policy(policies: [["account-member"]])
    accounts: [Account!]! @authenticated
    publicStatus: String
  }
`;
const ACCOUNT_MEMBER = {
  'account-member': ({ claims: c, args }: { claims: Record<string, unknown>; args: Record<string, unknown> }) => c.account === args.id,
};

describe("mode: 'reject'", () => {
  let executed = 0;
  const resolvers = {
    Query: {
      account: (_: unknown, { id }: { id: string }) => (executed++, { id, name: `account ${id}`, balance: 100 }),
      accounts: () => (executed++, [{ id: '1', name: 'account 1', balance: 100 }]),
      publicStatus: () => (executed++, 'ok'),
    },
    Vault: { __resolveReference: (ref: unknown) => (executed++, ref) },
  };
  let t: TestServer;
  before(async () => {
    const schema = applyAuthDirectives(subgraph(SDL, resolvers), { mode: 'reject', policies: ACCOUNT_MEMBER });
    t = await serve(schema, [authDirectivesPlugin()]);
  });
  after(() => t.stop());

  const refused = async (query: string, options: Parameters<TestServer['run']>[1], status: number, code: string, message: string) => {
    executed = 0;
    const result = await t.run(query, options);
    assert.equal(result.status, status);
    assert.equal(result.data, undefined, 'nothing executed, no data');
    assert.deepEqual(
      result.errors.map((e) => [e.message, e.extensions?.code]),
      [[message, code]],
    );
    assert.equal(executed, 0);
    return result;
  };

  it('refuses an anonymous operation selecting a guarded field with 401 and a challenge', async () => {
    const result = await refused(
      '{ publicStatus accounts { id } }',
      {},
      401,
      'UNAUTHENTICATED',
      'Field "Query.accounts" requires authentication',
    );
    assert.equal(result.headers.get('www-authenticate'), 'JWT realm="api"');
    await refused('{ account(id: "1") { id } }', {}, 401, 'UNAUTHENTICATED', 'Field "Query.account" requires authentication');
  });

  it('refuses a missing scope with 403', async () => {
    await refused(
      '{ account(id: "1") { id balance } }',
      { auth: claims({ account: '1' }) },
      403,
      'FORBIDDEN',
      'Field "Account.balance" requires one of the scope sets [accounts:read-balance]',
    );
  });

  it('runs operations whose requirements hold', async () => {
    const result = await t.run('{ publicStatus account(id: "1") { id balance } }', {
      auth: claims({ account: '1', scopes: ['accounts:read-balance'] }),
    });
    assert.equal(result.status, undefined);
    assert.deepEqual(result.data, { publicStatus: 'ok', account: { id: '1', balance: 100 } });
  });

  it('honours @skip and @include with variables', async () => {
    const query =
      'query ($with: Boolean!, $without: Boolean!) { account(id: "1") { id balance @include(if: $with) name @skip(if: $without) } }';
    const auth = claims({ account: '1' });
    const skipped = await t.run(query, { auth, variables: { with: false, without: true } });
    assert.deepEqual(skipped.data, { account: { id: '1' } });
    await refused(
      query,
      { auth, variables: { with: true, without: true } },
      403,
      'FORBIDDEN',
      'Field "Account.balance" requires one of the scope sets [accounts:read-balance]',
    );
    const fragment = 'query ($skip: Boolean!) { publicStatus ...Guarded @skip(if: $skip) } fragment Guarded on Query { accounts { id } }';
    assert.deepEqual((await t.run(fragment, { variables: { skip: true } })).data, { publicStatus: 'ok' });
    await refused(fragment, { variables: { skip: false } }, 401, 'UNAUTHENTICATED', 'Field "Query.accounts" requires authentication');
  });

  it('follows fragments and inline fragments on abstract types', async () => {
    const auth = claims({ account: '1' });
    const spread = '{ account(id: "1") { ...Money } } fragment Money on Account { ... { balance } }';
    await refused(spread, { auth }, 403, 'FORBIDDEN', 'Field "Account.balance" requires one of the scope sets [accounts:read-balance]');
    const entities = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Vault { id } } }';
    await refused(
      entities,
      { variables: { r: [{ __typename: 'Vault', id: 'v' }] } },
      401,
      'UNAUTHENTICATED',
      'Type "Vault" requires authentication',
    );
    const inner = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Account { balance } } }';
    await refused(
      inner,
      { auth, variables: { r: [] } },
      403,
      'FORBIDDEN',
      'Field "Account.balance" requires one of the scope sets [accounts:read-balance]',
    );
  });

  it('demands of a field selected on an interface what its implementations demand', async () => {
    const auth = claims();
    await refused('{ node { secret } }', { auth }, 403, 'FORBIDDEN', 'Field "Node.secret" requires one of the scope sets [notes:secret]');
    await refused(
      '{ node { ... on Note { secret } } }',
      { auth },
      403,
      'FORBIDDEN',
      'Field "Note.secret" requires one of the scope sets [notes:secret]',
    );
    const result = await t.run('{ node { id } }', { auth });
    assert.deepEqual(result.data, { node: null });
    assert.deepEqual(result.errors, []);
  });

  it('allows introspection, __typename and _service to anonymous requests', async () => {
    for (const query of [getIntrospectionQuery(), '{ __typename publicStatus _service { sdl } __type(name: "Vault") { name } }']) {
      const result = await t.run(query);
      assert.equal(result.status, undefined, query);
      assert.deepEqual(result.errors, [], query);
    }
  });

  it('still checks policies at resolve time, as field errors', async () => {
    const result = await t.run('{ publicStatus account(id: "2") { id } }', { auth: claims({ account: '1' }) });
    assert.equal(result.status, undefined);
    assert.deepEqual(result.data, { publicStatus: 'ok', account: null });
    assert.deepEqual(codes(result), { account: 'FORBIDDEN' });
  });

  it('refuses to start on a schema not transformed in reject mode', async () => {
    for (const schema of [subgraph(SDL, resolvers), applyAuthDirectives(subgraph(SDL, resolvers), { policies: ACCOUNT_MEMBER })]) {
      const server = new ApolloServer({ schema, plugins: [authDirectivesPlugin()] });
      await assert.rejects(server.start(), /authDirectivesPlugin needs a schema transformed by applyAuthDirectives/);
    }
  });
});

describe("mode: 'reject' over HTTP", () => {
  let url: string;
  let server: ApolloServer<Record<string, unknown>>;
  before(async () => {
    const schema = applyAuthDirectives(subgraph(SDL, { Query: { publicStatus: () => 'ok', accounts: () => [] } }), {
      mode: 'reject',
      scheme: 'Bearer',
      policies: ACCOUNT_MEMBER,
    });
    server = new ApolloServer<Record<string, unknown>>({ schema, plugins: [authDirectivesPlugin()] });
    // A stand-in for createSsoContext: the claims come from a test header.
    const started = await startStandaloneServer(server, {
      listen: { port: 0 },
      context: async ({ req }) => ({ auth: req.headers['x-claims'] ? JSON.parse(String(req.headers['x-claims'])) : null, user: null }),
    });
    url = started.url;
  });
  after(() => server.stop());

  const post = (query: string, auth?: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { 'x-claims': JSON.stringify(auth) } : {}) },
      body: JSON.stringify({ query }),
    });

  it('answers 401, 403 and 200', async () => {
    const anonymous = await post('{ accounts { id } }');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="api"');
    const body = (await anonymous.json()) as { errors: { extensions: Record<string, unknown> }[] };
    assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(body.errors[0].extensions.http, undefined, 'the status is not leaked into the body');

    const forbidden = await post('{ accounts { balance } }', claims());
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, 'FORBIDDEN');

    const ok = await post('{ publicStatus accounts { id } }', claims());
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { data: { publicStatus: 'ok', accounts: [] } });
  });
});
