import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import pg from 'pg';
import { createSsoContext, type SsoContext } from '../../src/auth/context.js';
import { formatSsoError } from '../../src/auth/graphql-errors.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/lib/database-unavailable.js';
import { KeyStore } from '../../src/jwt/key-store.js';
import { LOGIN, payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const ME = 'query { me { username } }';
const needsServer = !process.env.TEST_DATABASE_URL && 'needs a PostgreSQL server with LISTEN/NOTIFY (TEST_DATABASE_URL)';

async function until(condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

/** An operator's SQL on the database itself, past the proxy the service connects through. */
async function sql(url: string, text: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe('the identity service while PostgreSQL is unreachable', { skip: needsServer }, () => {
  let sso: TestIdentity;
  let proxy: TcpProxy;
  /** Used before the outage: this process remembers its session. */
  let checked: string;
  /** Never used after login: its session was not checked by this process. */
  let unchecked: string;
  let subgraphUrl: string;
  let stopSubgraph: () => Promise<void>;

  before(async () => {
    sso = await startIdentity(
      { databaseTimeout: 1, authorizationAudience: ['myapp', 'otherapp'] },
      { connectTo: async (url) => (proxy = await startTcpProxy(url)).url },
    );
    await sso.createUser('ann', 'ann-password');
    checked = await sso.login('ann', 'ann-password', { clientId: 'checked' });
    unchecked = await sso.login('ann', 'ann-password', { clientId: 'unchecked' });
    assert.equal((await sso.graphql(ME, { token: checked })).status, 200);
    assert.equal(sso.service.services.sessionCache.live, true);

    // Another service: public keys only, no session check, no database.
    const settings = resolveSettings({
      identity: 'otherapp',
      acceptedIssuers: ['myapp'],
      verifySessionToken: false,
      keyStoreRoot: sso.keys.root,
      publicKeys: { myapp: ['myapp-20200410.pem'] },
    });
    const apollo = new ApolloServer<SsoContext>({
      typeDefs: 'type Query { whoami: String }',
      resolvers: { Query: { whoami: (_: unknown, __: unknown, ctx: SsoContext) => (ctx.auth ? String(ctx.auth.uid) : null) } },
      formatError: formatSsoError,
    });
    ({ url: subgraphUrl } = await startStandaloneServer(apollo, {
      context: createSsoContext({ settings, keys: KeyStore.load(settings) }),
      listen: { port: 0, host: '127.0.0.1' },
    }));
    stopSubgraph = () => apollo.stop();
    await proxy.cut();
  });

  after(async () => {
    await stopSubgraph?.();
    await proxy?.restore();
    await sso?.close();
    await proxy?.close();
  });

  it('answers a login 503 SERVICE_UNAVAILABLE, naming no host or driver error', async () => {
    const login = await sso.graphql(LOGIN, { variables: { username: 'ann', password: 'ann-password' } });
    assert.equal(login.status, 503, JSON.stringify(login.body));
    assert.equal(login.body.data, null);
    assert.equal(login.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
    assert.equal(login.body.errors?.[0]?.message, DATABASE_UNAVAILABLE_MESSAGE);
    assert.doesNotMatch(JSON.stringify(login.body), /ECONNREFUSED|127\.0\.0\.1|select|stack/i);
    const unknownUser = await sso.graphql(LOGIN, { variables: { username: 'nobody', password: 'x' } });
    assert.equal(unknownUser.status, 503, 'an unknown user looks the same');
  });

  it('answers the REST login 503 with a DRF detail', async () => {
    const response = await getJson(`${sso.origin}/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ann', password: 'ann-password' }),
    });
    assert.deepEqual(response, { status: 503, body: { detail: DATABASE_UNAVAILABLE_MESSAGE } });
  });

  it('refuses a request whose session it must read with 503, the whole request', async () => {
    const me = await sso.graphql(ME, { token: unchecked });
    assert.equal(me.status, 503);
    assert.equal(me.body.errors?.length, 1);
    assert.equal(me.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
  });

  it('keeps serving a session it checked within sessionCacheTtl: me, and minting authorization tokens', async () => {
    assert.equal(await until(() => !sso.service.services.sessionCache.live), true, 'the listener has noticed the outage');
    const me = await sso.graphql(ME, { token: checked });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual(me.body.data, { me: { username: 'ann' } });
    const minted = await sso.mint(checked);
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const authorization = minted.body.data?.obtainAuthorizationToken.token as string;
    const whoami = await getJson(subgraphUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${authorization}` },
      body: JSON.stringify({ query: '{ whoami }' }),
    });
    assert.deepEqual(whoami, { status: 200, body: { data: { whoami: payloadOf(checked).uid } } }, 'another service needs no database');
  });

  it('keeps /healthz and the JWKS up, and says so in /readyz', async () => {
    assert.deepEqual(await getJson(`${sso.origin}/healthz`), { status: 200, body: { status: 'ok' } });
    const jwks = await getJson(`${sso.origin}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.equal(jwks.body.keys.length, 1);
    const ready = await getJson(`${sso.origin}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'unready');
    assert.equal(ready.body.database, 'down');
    assert.equal(ready.body.reason, 'ECONNREFUSED');
  });

  it('recovers by itself once the database is back, and a revocation made meanwhile is not hidden', async () => {
    // Another process, which can reach the database, revokes the remembered session: the
    // notification cannot reach this one.
    await sql(sso.databaseUrl, 'update session_token set revoked_at = now() where id = $1', [payloadOf(checked).sid]);
    await proxy.restore();
    assert.equal(
      await until(async () => (await sso.graphql(LOGIN, { variables: { username: 'ann', password: 'ann-password' } })).status === 200),
      true,
    );
    const me = await sso.graphql(ME, { token: checked });
    assert.equal(me.status, 401, 'the database is read again at once');
    assert.equal(me.body.errors?.[0]?.extensions?.reason, 'SESSION_REVOKED');
    assert.equal((await sso.graphql(ME, { token: unchecked })).status, 200);
    assert.equal(await until(async () => (await getJson(`${sso.origin}/readyz`)).status === 200), true);
    assert.deepEqual(await getJson(`${sso.origin}/readyz`), { status: 200, body: { status: 'ready', database: 'up' } });
    assert.equal(await until(() => sso.service.services.sessionCache.live), true, 'the listener reconnects');
    assert.equal((await sso.graphql(ME, { token: checked })).status, 401, 'the cache started afresh');
  });
});

describe('the identity service while PostgreSQL does not answer at all', () => {
  let sso: TestIdentity;
  let proxy: TcpProxy;

  before(async () => {
    sso = await startIdentity(
      { databaseTimeout: 1, sessionCacheTtl: 0 },
      { connectTo: async (url) => (proxy = await startTcpProxy(url)).url },
    );
    await sso.createUser('bo', 'bo-password');
    await proxy.blackhole();
  });
  after(async () => {
    await proxy?.restore();
    await sso?.close();
    await proxy?.close();
  });

  it('gives up after databaseTimeout: a login is answered 503, not left hanging', async () => {
    const login = await sso.graphql(LOGIN, { variables: { username: 'bo', password: 'bo-password' } });
    assert.equal(login.status, 503);
    assert.equal(login.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
  });

  it('reports a timeout in /readyz', async () => {
    assert.deepEqual(await getJson(`${sso.origin}/readyz`), {
      status: 503,
      body: { status: 'unready', database: 'down', reason: 'timeout' },
    });
  });

  it('serves again once the network is back', async () => {
    await proxy.restore();
    assert.equal(
      await until(async () => (await sso.graphql(LOGIN, { variables: { username: 'bo', password: 'bo-password' } })).status === 200),
      true,
    );
  });
});
