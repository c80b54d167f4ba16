import 'reflect-metadata';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Entity, PrimaryKey, Property, Unique, OptionalProps, type EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import { resolveSettings } from '../../src/config/resolve.js';
import { createSsoContext, type SsoContext } from '../../src/auth/context.js';
import { applyAuthDirectives } from '../../src/auth/directives/apply.js';
import { formatSsoError } from '../../src/auth/graphql-errors.js';
import { KeyStore } from '../../src/jwt/key-store.js';
import { AuthenticationError, ForbiddenError } from '../../src/errors.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { errorLogPlugin } from '../../src/server/error-log-plugin.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';
import { captureLogs, type LogCapture, type LogLine } from '../support/logs.js';

@Entity({ tableName: 'local_user' })
@Unique({ properties: ['service', 'externalId'] })
class LocalUser {
  [OptionalProps]?: 'id' | 'isActive';
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' }) id!: string;
  @Property() service!: string;
  @Property() externalId!: string;
  @Property() isActive: boolean = true;
}

const typeDefs = `type Query { whoami: String, claims: String }`;
const resolvers = {
  Query: {
    whoami: async (_: unknown, __: unknown, ctx: SsoContext<LocalUser>) => {
      const user = await ctx.user;
      return user ? `${user.service}/${user.externalId}` : null;
    },
    claims: (_: unknown, __: unknown, ctx: SsoContext) => (ctx.auth ? `${ctx.auth.token}:${ctx.auth.uid}` : null),
  },
};

describe('another service verifies tokens with public keys only and get-or-creates local users', () => {
  let sso: TestIdentity;
  let testDb: TestDatabase;
  let db: Database;
  let url: string;
  let stop: () => Promise<void>;
  let alice: { id: string };

  before(async () => {
    sso = await startIdentity({ authorizationAudience: ['myapp', 'otherapp'] });
    alice = await sso.createUser('alice', 'alice-password');
    testDb = await createTestDatabase();
    db = await openDatabase({ url: testDb.url, dataDir: sso.keys.root, entities: [LocalUser], migrations: [], logger: createTestLogger() });
    await db.orm.schema.createSchema();
    const settings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      keyStoreRoot: sso.keys.root,
      publicKeys: { myapp: ['myapp-20200410.pem'] },
      authenticatePayload: async (payload, { em }) => {
        const user = await em!.upsert(
          LocalUser,
          { service: payload.iss, externalId: String(payload.uid) },
          { onConflictFields: ['service', 'externalId'], onConflictAction: 'merge', onConflictMergeFields: ['service'] },
        );
        if (!user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
        return user;
      },
    });
    const apollo = new ApolloServer<SsoContext<LocalUser>>({ typeDefs, resolvers, formatError: formatSsoError });
    ({ url } = await startStandaloneServer(apollo, {
      context: createSsoContext<LocalUser>({ settings, keys: KeyStore.load(settings), orm: db.orm }),
      listen: { port: 0, host: '127.0.0.1' },
    }));
    stop = () => apollo.stop();
  });
  after(async () => {
    await stop();
    await db.close();
    await testDb.close();
    await sso.close();
  });

  const ask = async (token?: string, query = '{ whoami claims }') => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('accepts an authorization token meant for it and creates the local user once', async () => {
    const session = await sso.login('alice', 'alice-password');
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    // ctx.user is lazy: a request that never reads it costs no lookup and creates nobody.
    assert.deepEqual((await ask(auth, '{ claims }')).body.data, { claims: `auth:${alice.id}` });
    assert.equal(await db.orm.em.fork().count(LocalUser, {}), 0);
    assert.deepEqual((await ask(auth)).body.data, { whoami: `myapp/${alice.id}`, claims: `auth:${alice.id}` });
    assert.deepEqual((await ask(auth)).body.data, { whoami: `myapp/${alice.id}`, claims: `auth:${alice.id}` });
    assert.equal(await db.orm.em.fork().count(LocalUser, {}), 1);
  });

  it('refuses a session token, whose audience is only the identity service', async () => {
    const session = await sso.login('alice', 'alice-password');
    const res = await ask(session);
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.match(res.body.errors[0].message, /audience/);
  });

  it('refuses a deactivated local user wherever the user is needed', async () => {
    const session = await sso.login('alice', 'alice-password');
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    await db.orm.em.fork().nativeUpdate(LocalUser, {}, { isActive: false });
    const res = await ask(auth);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { whoami: null, claims: `auth:${alice.id}` });
    assert.deepEqual(
      res.body.errors.map((e: any) => [e.path, e.extensions.code, e.message]),
      [[['whoami'], 'UNAUTHENTICATED', 'User inactive or deleted.']],
    );
    await db.orm.em.fork().nativeUpdate(LocalUser, {}, { isActive: true });
  });

  it('serves anonymous requests with an empty context', async () => {
    assert.deepEqual((await ask()).body.data, { whoami: null, claims: null });
  });
});

describe('a subgraph whose own authenticatePayload fails when ctx.user is first needed', () => {
  const sdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@authenticated", "@policy"])
    type Query {
      claims: String
      whoami: String
      secret: String @authenticated
      mine: String @policy(policies: [["self"]])
    }`;
  /** What the hook does before its work while a test sets it. */
  let failure: ((em: EntityManager) => unknown) | null = null;
  let sso: TestIdentity;
  let testDb: TestDatabase;
  let db: Database;
  let url: string;
  let logs: LogCapture;
  let token: string;
  let stop: () => Promise<void>;

  before(async () => {
    sso = await startIdentity({ authorizationAudience: ['myapp', 'otherapp'] });
    await sso.createUser('bob', 'bob-password');
    token = (await sso.mint(await sso.login('bob', 'bob-password'))).body.data!.obtainAuthorizationToken.token as string;
    testDb = await createTestDatabase();
    db = await openDatabase({ url: testDb.url, dataDir: sso.keys.root, entities: [LocalUser], migrations: [], logger: createTestLogger() });
    logs = captureLogs();
    const settings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      keyStoreRoot: sso.keys.root,
      publicKeys: { myapp: ['myapp-20200410.pem'] },
      authenticatePayload: async (payload, { em }) => {
        await failure?.(em as EntityManager);
        return { id: payload.uid };
      },
    });
    const schema = applyAuthDirectives(
      buildSubgraphSchema([
        {
          typeDefs: parse(sdl),
          resolvers: {
            Query: {
              claims: (_: unknown, __: unknown, ctx: SsoContext) => `${ctx.auth?.token}`,
              whoami: async (_: unknown, __: unknown, ctx: SsoContext<{ id: string }>) => (await ctx.user)?.id,
              secret: () => 'secret',
              mine: () => 'mine',
            },
          },
        },
      ]),
      { policies: { self: ({ user, claims }) => (user as { id: unknown }).id === claims.uid } },
    );
    const apollo = new ApolloServer<SsoContext>({ schema, formatError: formatSsoError, plugins: [errorLogPlugin(logs.logger)] });
    ({ url } = await startStandaloneServer(apollo, {
      context: createSsoContext({ settings, keys: KeyStore.load(settings), orm: db.orm, logger: logs.logger }),
      listen: { port: 0, host: '127.0.0.1' },
    }));
    stop = () => apollo.stop();
  });
  afterEach(() => {
    failure = null;
  });
  after(async () => {
    await stop();
    await db.close();
    await testDb.close();
    await sso.close();
  });

  const ask = async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
      body: JSON.stringify({ query: '{ claims whoami secret mine }' }),
    });
    return { status: res.status, text: await res.clone().text(), body: (await res.json()) as any };
  };
  const errorsOf = (body: any) => (body.errors as any[]).map((e) => [e.path.join('.'), e.extensions.code, e.message]).sort();
  const errorLines = () => logs.lines().filter((line) => line.level >= 50) as (LogLine & { err?: { message?: string } })[];

  it('works while the hook does', async () => {
    assert.deepEqual((await ask()).body, { data: { claims: 'auth', whoami: payloadOf(token).uid, secret: 'secret', mine: 'mine' } });
  });

  it('answers the fields that need the user INTERNAL_SERVER_ERROR, keeps the others, and logs the cause once', async () => {
    failure = (em) => em.getConnection().execute('select role from account_member');
    const before = errorLines().length;
    const res = await ask();
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { claims: 'auth', whoami: null, secret: null, mine: null });
    const internal = (field: string) => [field, 'INTERNAL_SERVER_ERROR', 'Internal server error.'];
    assert.deepEqual(errorsOf(res.body), [internal('mine'), internal('secret'), internal('whoami')]);
    assert.ok(!res.text.includes('account_member'), res.text);
    const lines = errorLines().slice(before);
    assert.equal(lines.length, 1, 'one lookup failed, once: it is logged once');
    assert.equal(lines[0]!.hook, 'authenticatePayload');
    assert.match(String(lines[0]!.err?.message), /relation "account_member" does not exist/);
  });

  it('keeps the codes and messages of a ForbiddenError or an AuthenticationError it throws', async () => {
    const before = errorLines().length;
    for (const [error, code] of [
      [new ForbiddenError('No local account for this user.'), 'FORBIDDEN'],
      [new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.'), 'UNAUTHENTICATED'],
    ] as const) {
      failure = () => {
        throw error;
      };
      const res = await ask();
      assert.deepEqual(res.body.data, { claims: 'auth', whoami: null, secret: null, mine: null });
      assert.deepEqual(
        errorsOf(res.body),
        ['mine', 'secret', 'whoami'].map((field) => [field, code, error.message]),
      );
    }
    assert.equal(errorLines().length, before, 'refusals are no server errors');
  });

  it('answers SERVICE_UNAVAILABLE while its database is unreachable', async () => {
    failure = () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    };
    const res = await ask();
    assert.deepEqual(
      errorsOf(res.body).map(([, code]) => code),
      ['SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE'],
    );
  });
});
