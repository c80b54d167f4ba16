import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createAuthorizationPayload, requestLimits, resolveSettings, type PayloadInput } from '../../src/index.js';
import { startIdentity, type TestIdentity } from '../support/identity.js';

const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username email } } }';
const reps = (...ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));

/** `root` gets the admin scope; everyone else none. */
function payload(input: PayloadInput) {
  return { ...createAuthorizationPayload(input), scopes: (input.user as { username?: string }).username === 'root' ? ['sso:admin'] : [] };
}

describe('security: _entities on the identity subgraph', () => {
  let sso: TestIdentity;
  let alice: { id: string };
  let bob: { id: string };
  let aliceToken: string;
  let rootToken: string;

  before(async () => {
    sso = await startIdentity({ createAuthorizationPayload: payload, limits: { maxEntities: 5 } });
    alice = await sso.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    bob = await sso.createUser('bob', 'bob-password', { email: 'bob@example.com' });
    await sso.createUser('root', 'root-password');
    const mint = async (user: string, password: string) =>
      (await sso.mint(await sso.login(user, password))).body.data!.obtainAuthorizationToken.token as string;
    aliceToken = await mint('alice', 'alice-password');
    rootToken = await mint('root', 'root-password');
  });
  after(() => sso.close());

  it('reveals nothing to an anonymous caller: UNAUTHENTICATED, no username, no email', async () => {
    const { status, body } = await sso.graphql(ENTITIES, { variables: { r: reps(alice.id, bob.id) } });
    assert.equal(status, 200);
    assert.deepEqual(body.data, { _entities: [null, null] });
    assert.deepEqual(
      body.errors?.map((e) => [e.path, e.extensions?.code]),
      [
        [['_entities', 0], 'UNAUTHENTICATED'],
        [['_entities', 1], 'UNAUTHENTICATED'],
      ],
    );
    assert.doesNotMatch(JSON.stringify(body), /alice|bob|example\.com/);
  });

  it("resolves a user's own entity for that user's token, and refuses another's with FORBIDDEN", async () => {
    const { body } = await sso.graphql(ENTITIES, { token: aliceToken, variables: { r: reps(alice.id, bob.id) } });
    assert.deepEqual(body.data, { _entities: [{ id: alice.id, username: 'alice', email: 'alice@example.com' }, null] });
    assert.deepEqual(
      body.errors?.map((e) => [e.path, e.extensions?.code]),
      [[['_entities', 1], 'FORBIDDEN']],
    );
    assert.doesNotMatch(JSON.stringify(body.errors), /bob/);
  });

  it('resolves any user for a token with the admin scope (setting adminScope)', async () => {
    const { body } = await sso.graphql(ENTITIES, { token: rootToken, variables: { r: reps(alice.id, bob.id) } });
    assert.equal(body.errors, undefined);
    assert.deepEqual(
      body.data!._entities.map((u: { username: string }) => u.username),
      ['alice', 'bob'],
    );
  });

  it('refuses more representations than limits.maxEntities before resolving any: 400, BAD_REQUEST', async () => {
    const many = reps(...Array.from({ length: 6 }, () => alice.id));
    for (const answer of [
      await sso.graphql(ENTITIES, { token: rootToken, variables: { r: many } }),
      // Inline, and spread over two fields through a fragment.
      await sso.graphql(
        `query { a: _entities(representations: [${many
          .slice(0, 3)
          .map((r) => `{ __typename: "User", id: "${r.id}" }`)
          .join(', ')}]) { __typename } ...F }
         fragment F on Query { b: _entities(representations: [${many
           .slice(0, 3)
           .map((r) => `{ __typename: "User", id: "${r.id}" }`)
           .join(', ')}]) { __typename } }`,
        { token: rootToken },
      ),
    ]) {
      assert.equal(answer.status, 400);
      assert.equal(answer.body.data, undefined);
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
      assert.match(answer.body.errors![0]!.message, /^6 entity representations exceed the limit of 5 \(setting limits\.maxEntities\)\.$/);
    }
    const five = await sso.graphql(ENTITIES, { token: rootToken, variables: { r: many.slice(0, 5) } });
    assert.equal(five.status, 200);
    assert.equal(five.body.errors, undefined);
  });

  it('limits.maxEntities defaults to 100 and is checked at start-up', () => {
    assert.equal(resolveSettings().limits.maxEntities, 100);
    for (const value of [0, 1.5, '100', null]) {
      assert.throws(
        () => resolveSettings({ limits: { maxEntities: value as number } }),
        /Invalid setting "limits\.maxEntities": must be a whole number/,
      );
    }
  });
});

describe('security: requestLimits() caps _entities in any subgraph', () => {
  let url: string;
  let stop: () => Promise<void>;

  before(async () => {
    const settings = resolveSettings({ limits: { maxEntities: 3 } });
    const schema = buildSubgraphSchema([
      {
        typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
          type Account @key(fields: "id") { id: ID! }
          type Query { ping: String }`),
        resolvers: { Account: { __resolveReference: (ref: { id: string }) => ref } } as never,
      },
    ]);
    const limits = requestLimits(settings);
    const server = new ApolloServer({ schema, ...limits });
    ({ url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } }));
    stop = () => server.stop();
  });
  after(() => stop());

  const ask = (count: number) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Account { id } } }',
        variables: { r: Array.from({ length: count }, (_, i) => ({ __typename: 'Account', id: String(i) })) },
      }),
    });

  it('answers 400 BAD_REQUEST past the limit, and resolves up to it', async () => {
    const refused = await ask(10_000);
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
    assert.match(body.errors[0]!.message, /10000 entity representations exceed the limit of 3 \(setting limits\.maxEntities\)/);
    const allowed = await ask(3);
    assert.equal(allowed.status, 200);
    assert.equal(((await allowed.json()) as { data: { _entities: unknown[] } }).data._entities.length, 3);
  });
});
