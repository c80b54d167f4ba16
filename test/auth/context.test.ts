import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { Entity, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/postgresql';
import { resolveSettings } from '../../src/config/resolve.js';
import { createSsoContext, type SsoContext } from '../../src/auth/context.js';
import { formatSsoError } from '../../src/auth/graphql-errors.js';
import { KeyStore } from '../../src/jwt/key-store.js';
import { AuthenticationError } from '../../src/errors.js';
import { openDatabase, type Database } from '../../src/db/index.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';
import { startIdentity, type TestIdentity } from '../support/identity.js';

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
    assert.deepEqual(res.body.errors.map((e: any) => [e.path, e.extensions.code, e.message]), [
      [['whoami'], 'UNAUTHENTICATED', 'User inactive or deleted.'],
    ]);
    await db.orm.em.fork().nativeUpdate(LocalUser, {}, { isActive: true });
  });

  it('serves anonymous requests with an empty context', async () => {
    assert.deepEqual((await ask()).body.data, { whoami: null, claims: null });
  });
});
