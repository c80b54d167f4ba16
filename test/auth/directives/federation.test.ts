import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildASTSchema, getIntrospectionQuery, parse, type GraphQLObjectType } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { resolveDirectiveNames } from '../../../src/auth/directives/lib/directive-names.js';
import { SsoError } from '../../../src/errors.js';
import { LINK, claims, codes, serve, subgraph, type TestServer } from './support.js';

const SDL = `${LINK}
  type Account @key(fields: "id") {
    id: ID!
    name: String!
    balance: Int @requiresScopes(scopes: [["accounts:read-balance"]])
  }
  type Vault @key(fields: "id") @authenticated {
    id: ID!
    contents: String
  }
  type Ledger @key(fields: "id") @policy(policies: [["account-member"]]) {
    id: ID!
    total: Int
  }
  type Query {
    account(id: ID!): Account @policy(policies: [["account-member"]])
    publicStatus: String
  }
`;

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Account { id name balance }
    ... on Vault { id contents }
    ... on Ledger { id total }
  }
}`;

describe('federation subgraphs', () => {
  const references: string[] = [];
  let t: TestServer;
  const resolvers = {
    Query: { account: (_: unknown, { id }: { id: string }) => ({ id, name: `account ${id}`, balance: 100 }), publicStatus: () => 'ok' },
    Account: {
      __resolveReference: (ref: { id: string }) => {
        references.push(`Account:${ref.id}`);
        return { id: ref.id, name: `account ${ref.id}`, balance: 100 };
      },
    },
    Vault: {
      __resolveReference: (ref: { id: string }) => {
        references.push(`Vault:${ref.id}`);
        return { id: ref.id, contents: 'gold' };
      },
    },
    Ledger: { __resolveReference: async (ref: { id: string }) => ({ id: ref.id, total: 7 }) },
  };
  const policies = {
    'account-member': ({ claims: c, args }: { claims: Record<string, unknown>; args: Record<string, unknown> }) => c.account === args.id,
  };

  before(async () => {
    t = await serve(applyAuthDirectives(subgraph(SDL, resolvers), { policies }));
  });
  after(() => t.stop());

  it('buildSubgraphSchema keeps directive applications on the AST nodes getDirective reads', () => {
    const schema = subgraph(SDL, resolvers);
    const account = schema.getType('Account') as GraphQLObjectType;
    assert.equal(account.getFields().balance.astNode?.directives?.[0]?.name.value, 'requiresScopes');
    assert.deepEqual(getDirective(schema, account.getFields().balance, 'requiresScopes'), [{ scopes: [['accounts:read-balance']] }]);
    assert.deepEqual(getDirective(schema, schema.getType('Vault')!, 'authenticated'), [{}]);
  });

  it('guards an entity resolved through _entities by its type-level directive, before __resolveReference runs', async () => {
    references.length = 0;
    const representations = [
      { __typename: 'Vault', id: 'v1' },
      { __typename: 'Account', id: '1' },
    ];
    const anonymous = await t.run(ENTITIES, { variables: { representations } });
    assert.deepEqual(anonymous.data, { _entities: [null, { __typename: 'Account', id: '1', name: 'account 1', balance: null }] });
    assert.deepEqual(codes(anonymous), { '_entities.0': 'UNAUTHENTICATED', '_entities.1.balance': 'UNAUTHENTICATED' });
    assert.equal(anonymous.errors[0].message, 'Entity "Vault" requires authentication');
    assert.deepEqual(references, ['Account:1'], 'the denied Vault was never loaded');

    const signedIn = await t.run(ENTITIES, { variables: { representations }, auth: claims({ scopes: ['accounts:read-balance'] }) });
    assert.deepEqual(signedIn.data, {
      _entities: [
        { __typename: 'Vault', id: 'v1', contents: 'gold' },
        { __typename: 'Account', id: '1', name: 'account 1', balance: 100 },
      ],
    });
    assert.deepEqual(signedIn.errors, []);
  });

  it('guards field directives of entities resolved through _entities', async () => {
    const result = await t.run(ENTITIES, { variables: { representations: [{ __typename: 'Account', id: '1' }] }, auth: claims() });
    assert.deepEqual(result.data, { _entities: [{ __typename: 'Account', id: '1', name: 'account 1', balance: null }] });
    assert.deepEqual(codes(result), { '_entities.0.balance': 'FORBIDDEN' });
  });

  it('hands a type-level policy the representation as its arguments', async () => {
    const representations = [
      { __typename: 'Ledger', id: '1' },
      { __typename: 'Ledger', id: '2' },
    ];
    const result = await t.run(ENTITIES, { variables: { representations }, auth: claims({ account: '1' }) });
    assert.deepEqual(result.data, { _entities: [{ __typename: 'Ledger', id: '1', total: 7 }, null] });
    assert.deepEqual(codes(result), { '_entities.1': 'FORBIDDEN' });
    assert.equal(result.errors[0].message, 'Entity "Ledger" requires policy "account-member"');
  });

  it('leaves introspection and _service alone', async () => {
    const introspection = await t.run(getIntrospectionQuery());
    assert.deepEqual(introspection.errors, []);
    assert.ok(introspection.data?.__schema.types.some((type: { name: string }) => type.name === 'Vault'));
    const result = await t.run('{ __typename __type(name: "Vault") { name } _service { sdl } publicStatus }');
    assert.deepEqual(result.errors, []);
    assert.equal(result.data?.__typename, 'Query');
    assert.deepEqual(result.data?.__type, { name: 'Vault' });
    assert.match(result.data?._service.sdl, /@requiresScopes\(scopes: \[\["accounts:read-balance"\]\]\)/);
  });
});

describe('directive names follow @link', () => {
  const query = `type Query { a: String @authenticated_ b: String @scoped_ }`;
  const build = (link: string, sdl: string) => applyAuthDirectives(subgraph(`${link}\n${sdl}`, { Query: { a: () => 'a', b: () => 'b' } }));

  it('enforces the namespaced names of directives that are not imported', async () => {
    const schema = build(
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])',
      query.replace('@authenticated_', '@federation__authenticated').replace('@scoped_', '@federation__requiresScopes(scopes: [["s"]])'),
    );
    const t = await serve(schema);
    try {
      assert.deepEqual(codes(await t.run('{ a b }')), { a: 'UNAUTHENTICATED', b: 'UNAUTHENTICATED' });
      assert.deepEqual(codes(await t.run('{ a b }', { auth: claims() })), { b: 'FORBIDDEN' });
    } finally {
      await t.stop();
    }
  });

  it('enforces renamed imports', async () => {
    const schema = build(
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: [{ name: "@authenticated", as: "@auth" }, { name: "@requiresScopes", as: "@scopes" }])',
      query.replace('@authenticated_', '@auth').replace('@scoped_', '@scopes(scopes: [["s"]])'),
    );
    const t = await serve(schema);
    try {
      assert.deepEqual(codes(await t.run('{ a b }', { auth: claims() })), { b: 'FORBIDDEN' });
      assert.deepEqual(codes(await t.run('{ a }')), { a: 'UNAUTHENTICATED' });
    } finally {
      await t.stop();
    }
  });

  it('follows @link(as:) namespacing, and explicit names win', () => {
    const schema = buildASTSchema(
      parse(`
        directive @link(url: String, as: String, import: [String]) repeatable on SCHEMA
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", as: "fed", import: ["@policy"])
        type Query { a: String }
      `),
    );
    assert.deepEqual(resolveDirectiveNames(schema), {
      authenticated: 'fed__authenticated',
      requiresScopes: 'fed__requiresScopes',
      policy: 'policy',
    });
    assert.deepEqual(resolveDirectiveNames(schema, { policy: 'may' }).policy, 'may');
  });

  it("a directive on the query type leaves _service and _entities to the entities' own directives", async () => {
    const sdl = `${LINK}\n type Query @authenticated { a: String }\n type Thing @key(fields: "id") { id: ID! }`;
    const t = await serve(applyAuthDirectives(subgraph(sdl, { Query: { a: () => 'a' } })));
    try {
      const result = await t.run(
        '{ a _service { sdl } _entities(representations: [{ __typename: "Thing", id: "1" }]) { ... on Thing { id } } }',
      );
      assert.deepEqual(codes(result), { a: 'UNAUTHENTICATED' });
      assert.deepEqual(result.data?._entities, [{ id: '1' }]);
      assert.equal(typeof result.data?._service.sdl, 'string');
    } finally {
      await t.stop();
    }
  });

  it('checks an interface entity against the type-level directives of the object it resolves to', async () => {
    const sdl = `${LINK}
      interface Media @key(fields: "id") { id: ID! }
      type Film implements Media @key(fields: "id") @authenticated { id: ID! }
      type Book implements Media @key(fields: "id") { id: ID! }
      type Query { a: String }`;
    const schema = subgraph(sdl, {
      Media: { __resolveReference: (ref: { id: string }) => ({ __typename: ref.id.startsWith('f') ? 'Film' : 'Book', id: ref.id }) },
    });
    const t = await serve(applyAuthDirectives(schema));
    try {
      const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Media { id } } }';
      const r = [
        { __typename: 'Media', id: 'b1' },
        { __typename: 'Media', id: 'f1' },
      ];
      const anonymous = await t.run(query, { variables: { r } });
      assert.deepEqual(anonymous.data, { _entities: [{ __typename: 'Book', id: 'b1' }, null] });
      assert.deepEqual(codes(anonymous), { '_entities.1': 'UNAUTHENTICATED' });
      assert.equal(anonymous.errors[0].message, 'Entity "Media" returning "Film" requires authentication');
      const signedIn = await t.run(query, { variables: { r }, auth: claims() });
      assert.deepEqual(signedIn.data, {
        _entities: [
          { __typename: 'Book', id: 'b1' },
          { __typename: 'Film', id: 'f1' },
        ],
      });
    } finally {
      await t.stop();
    }
  });

  it('rejects malformed directive arguments and a second application', () => {
    const schema = subgraph(`${LINK}\n type Query { a: String @requiresScopes(scopes: []) }`, { Query: { a: () => 'a' } });
    assert.throws(
      () => applyAuthDirectives(schema),
      (e: unknown) => e instanceof SsoError && /@requiresScopes on field "Query.a" needs a non-empty list/.test(e.message),
    );
    const once = applyAuthDirectives(subgraph(`${LINK}\n type Query { a: String }`));
    assert.throws(() => applyAuthDirectives(once), /already applied/);
  });
});
