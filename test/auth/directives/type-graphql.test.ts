import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { ResolverMap } from '../../../src/index.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { Arg, Directive, Field, ID, Int, ObjectType, Query, Resolver, buildSchema, createResolversMap } from 'type-graphql';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { LINK, claims, codes, serve, type TestServer } from './support.js';

@Directive('@key(fields: "id")')
@ObjectType()
class Account {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Directive('@requiresScopes(scopes: [["accounts:read-balance"]])')
  @Field(() => Int, { nullable: true })
  balance?: number;
}

@Directive('@authenticated')
@ObjectType()
class Vault {
  @Field(() => ID) id!: string;
}

@Resolver()
class AccountResolver {
  @Directive('@policy(policies: [["account-member"]])')
  @Query(() => Account, { nullable: true })
  account(@Arg('id', () => ID) id: string): Account {
    return { id, name: `account ${id}`, balance: 100 };
  }

  @Query(() => Vault, { nullable: true })
  vault(): Vault {
    return { id: 'v1' };
  }

  @Query(() => String)
  publicStatus(): string {
    return 'ok';
  }
}

const policies = {
  'account-member': ({ claims: c, args }: { claims: Record<string, unknown>; args: Record<string, unknown> }) => c.account === args.id,
};

/** type-graphql's federation recipe: build, print with directives, rebuild as a subgraph. */
async function buildFederatedSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers: [AccountResolver], orphanedTypes: [Account, Vault], validate: false, skipCheck: true });
  const resolvers = createResolversMap(schema) as ResolverMap<unknown>;
  resolvers.Account = {
    ...(resolvers.Account as Record<string, GraphQLFieldResolver<unknown, unknown>>),
    __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `account ${ref.id}`, balance: 100 }),
  };
  return buildSubgraphSchema([{ typeDefs: parse(`${LINK}\n${printSchemaWithDirectives(schema)}`), resolvers }]);
}

const QUERY = '{ publicStatus vault { id } account(id: "1") { id balance } }';

describe('a type-graphql subgraph', () => {
  let t: TestServer;
  before(async () => {
    t = await serve(applyAuthDirectives(await buildFederatedSchema(), { policies }));
  });
  after(() => t.stop());

  it('enforces @Directive-declared field, type-level and policy requirements', async () => {
    const anonymous = await t.run(QUERY);
    assert.deepEqual(anonymous.data, { publicStatus: 'ok', vault: null, account: null });
    assert.deepEqual(codes(anonymous), { vault: 'UNAUTHENTICATED', account: 'UNAUTHENTICATED' });

    const member = await t.run(QUERY, { auth: claims({ account: '1' }) });
    assert.deepEqual(member.data, { publicStatus: 'ok', vault: { id: 'v1' }, account: { id: '1', balance: null } });
    assert.deepEqual(codes(member), { 'account.balance': 'FORBIDDEN' });

    const owner = await t.run(QUERY, { auth: claims({ account: '1', scopes: ['accounts:read-balance'] }) });
    assert.deepEqual(owner.data, { publicStatus: 'ok', vault: { id: 'v1' }, account: { id: '1', balance: 100 } });
    assert.deepEqual(codes(await t.run('{ account(id: "2") { id } }', { auth: claims({ account: '1' }) })), { account: 'FORBIDDEN' });
  });

  it('guards its entities resolved through _entities', async () => {
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Account { id balance } } }';
    const result = await t.run(query, { variables: { r: [{ __typename: 'Account', id: '1' }] }, auth: claims() });
    assert.deepEqual(result.data, { _entities: [{ id: '1', balance: null }] });
    assert.deepEqual(codes(result), { '_entities.0.balance': 'FORBIDDEN' });
  });
});

describe('a plain type-graphql schema', () => {
  it('is guarded the same way: @Directive applications sit on the AST nodes', async () => {
    const schema = await buildSchema({ resolvers: [AccountResolver], orphanedTypes: [Account, Vault], validate: false });
    const t = await serve(applyAuthDirectives(schema, { policies }));
    try {
      const result = await t.run(QUERY, { auth: claims({ account: '1' }) });
      assert.deepEqual(result.data, { publicStatus: 'ok', vault: { id: 'v1' }, account: { id: '1', balance: null } });
      assert.deepEqual(codes(result), { 'account.balance': 'FORBIDDEN' });
      assert.deepEqual(codes(await t.run('{ vault { id } }')), { vault: 'UNAUTHENTICATED' });
    } finally {
      await t.stop();
    }
  });
});
