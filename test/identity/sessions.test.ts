import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionPayload, type PayloadInput } from '../../src/index.js';
import { SessionToken } from '../../src/identity-exports.js';
import pg from 'pg';
import { startServe } from '../support/cli.js';
import { queryCount } from '../support/metrics.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const MY_SESSIONS = '{ mySessions { id clientId ipAddress userAgent createdAt lastUsedAt current } }';
const ME = '{ me { username } }';

/** Administrators get the admin scope in their session tokens: session management takes those. */
function withAdminScope(input: PayloadInput) {
  const username = (input.user as { username?: string }).username;
  return { ...createSessionPayload(input), scopes: username === 'root' ? ['sso:admin'] : [] };
}

describe('session lifecycle', () => {
  let sso: TestIdentity;
  let clock = 0;
  const ids: Record<string, string> = {};

  before(async () => {
    sso = await startIdentity({ createSessionPayload: withAdminScope }, { sessions: { now: () => Date.now() + clock } });
    for (const name of ['alice', 'bob', 'root']) ids[name] = (await sso.createUser(name, `${name}-password`)).id;
  });
  after(() => sso.close());

  const errorOf = (response: { body: { errors?: { extensions?: Record<string, any>; message: string }[] } }) => response.body.errors?.[0];

  it('lists the caller’s active sessions, marking the current one', async () => {
    const web = await sso.login('alice', 'alice-password', { clientId: 'web', headers: { 'user-agent': 'browser/1' } });
    const cli = await sso.login('alice', 'alice-password', { clientId: 'cli', headers: { 'user-agent': 'curl/8' } });
    await sso.login('bob', 'bob-password');
    const response = await sso.graphql(MY_SESSIONS, { token: web });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const sessions = response.body.data!.mySessions as Record<string, any>[];
    assert.deepEqual(
      sessions.map((s) => [s.id, s.clientId, s.userAgent, s.ipAddress, s.current]).sort(),
      [
        [payloadOf(cli).sid, 'cli', 'curl/8', '127.0.0.1', false],
        [payloadOf(web).sid, 'web', 'browser/1', '127.0.0.1', true],
      ].sort(),
    );
    for (const session of sessions) {
      assert.match(session.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.ok(session.lastUsedAt);
    }
    const anonymous = await sso.graphql(MY_SESSIONS);
    assert.equal(errorOf(anonymous)?.extensions?.code, 'UNAUTHENTICATED');
  });

  it('logs out: revokeSession() ends the current session and its authorization tokens at once', async () => {
    const session = await sso.login('alice', 'alice-password', { clientId: 'logout' });
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token;
    assert.equal((await sso.graphql(ME, { token: auth })).status, 200);
    const revoked = await sso.graphql('mutation { revokeSession }', { token: session });
    assert.deepEqual(revoked.body, { data: { revokeSession: true } });
    for (const token of [session, auth]) {
      const refused = await sso.graphql(ME, { token });
      assert.equal(refused.status, 401);
      assert.equal(errorOf(refused)?.extensions?.reason, 'SESSION_REVOKED');
    }
    const mint = await sso.mint(session);
    assert.equal(mint.status, 401);
  });

  it('does not let a user see or touch another user’s sessions', async () => {
    const bob = await sso.login('bob', 'bob-password', { clientId: 'bob-phone' });
    const alice = await sso.login('alice', 'alice-password', { clientId: 'alice-other' });
    const bobSid = payloadOf(bob).sid;
    const attempt = await sso.graphql(`mutation { revokeSession(id: "${bobSid}") }`, { token: alice });
    assert.equal(errorOf(attempt)?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(errorOf(attempt)?.message, 'Session not found.');
    const unknown = await sso.graphql('mutation { revokeSession(id: "00000000-0000-0000-0000-000000000000") }', { token: alice });
    assert.equal(errorOf(unknown)?.message, 'Session not found.', 'the same answer as for someone else’s session');
    const list = await sso.graphql(`{ sessions(userId: "${ids.bob}") { id } }`, { token: alice });
    assert.equal(errorOf(list)?.extensions?.code, 'FORBIDDEN');
    const all = await sso.graphql(`mutation { revokeAllSessions(userId: "${ids.bob}") }`, { token: alice });
    assert.equal(errorOf(all)?.extensions?.code, 'FORBIDDEN');
    assert.equal((await sso.graphql(ME, { token: bob })).status, 200, 'bob is still logged in');
  });

  it('lets a holder of the admin scope list and revoke anyone’s sessions', async () => {
    const bob = await sso.login('bob', 'bob-password', { clientId: 'bob-laptop' });
    const admin = await sso.login('root', 'root-password');
    assert.deepEqual(payloadOf(admin).scopes, ['sso:admin']);
    const list = await sso.graphql(`{ sessions(userId: "${ids.bob}") { id current } }`, { token: admin });
    const listed = (list.body.data!.sessions as { id: string; current: boolean }[]).map((s) => s.id);
    assert.ok(listed.includes(payloadOf(bob).sid));
    const revoked = await sso.graphql(`mutation { revokeSession(id: "${payloadOf(bob).sid}") }`, { token: admin });
    assert.deepEqual(revoked.body.data, { revokeSession: true });
    assert.equal((await sso.graphql(ME, { token: bob })).status, 401);
    const again = await sso.graphql(`mutation { revokeSession(id: "${payloadOf(bob).sid}") }`, { token: admin });
    assert.deepEqual(again.body.data, { revokeSession: false }, 'revoking twice says it was already revoked');
    const rest = await sso.graphql(`mutation { revokeAllSessions(userId: "${ids.bob}") }`, { token: admin });
    assert.equal(rest.body.data!.revokeAllSessions, listed.length - 1);
    const none = await sso.graphql(`{ sessions(userId: "${ids.bob}") { id } }`, { token: admin });
    assert.deepEqual(none.body.data, { sessions: [] });
  });

  it('revokeAllSessions(exceptCurrent: true) keeps only the current session', async () => {
    const keep = await sso.login('alice', 'alice-password', { clientId: 'keep' });
    const other = await sso.login('alice', 'alice-password', { clientId: 'other' });
    const count = await sso.graphql('mutation { revokeAllSessions(exceptCurrent: true) }', { token: keep });
    assert.ok(count.body.data!.revokeAllSessions >= 1);
    assert.equal((await sso.graphql(ME, { token: keep })).status, 200);
    assert.equal((await sso.graphql(ME, { token: other })).status, 401);
    const listed = await sso.graphql(MY_SESSIONS, { token: keep });
    assert.deepEqual(
      (listed.body.data!.mySessions as { id: string }[]).map((s) => s.id),
      [payloadOf(keep).sid],
    );
    const all = await sso.graphql('mutation { revokeAllSessions }', { token: keep });
    assert.equal(all.body.data!.revokeAllSessions, 1);
    assert.equal((await sso.graphql(ME, { token: keep })).status, 401);
  });

  it('a new password or a deactivation revokes every session of the user', async () => {
    const one = await sso.login('bob', 'bob-password', { clientId: 'one' });
    assert.equal((await sso.graphql(ME, { token: one })).status, 200);
    const revoked = await sso.service.services.users.setPassword(ids.bob!, 'bob-new-password');
    assert.ok(revoked >= 1);
    const refused = await sso.graphql(ME, { token: one });
    assert.equal(refused.status, 401);
    assert.equal(errorOf(refused)?.extensions?.reason, 'SESSION_REVOKED');
    const two = await sso.login('bob', 'bob-new-password', { clientId: 'two' });
    assert.equal(await sso.service.services.users.setActive(ids.bob!, false), 1);
    assert.equal((await sso.graphql(ME, { token: two })).status, 401);
    assert.equal(await sso.service.services.users.setActive(ids.bob!, true), 0, 'activation revokes nothing');
    await assert.rejects(sso.service.services.users.setPassword(ids.bob!, ''), { code: 'INVALID_INPUT' });
    await assert.rejects(sso.service.services.users.setActive('not-a-user', false), { code: 'NOT_FOUND' });
  });

  it('changePassword asks for the current password, revokes every session and keeps the caller logged in', async () => {
    await sso.createUser('gina', 'gina-password');
    const phone = await sso.login('gina', 'gina-password', { clientId: 'phone' });
    const web = await sso.login('gina', 'gina-password', { clientId: 'web' });
    const change = (current: string, next: string, token: string) =>
      sso.graphql('mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }', {
        variables: { c: current, n: next },
        token,
      });
    const wrong = await change('not-it', 'gina-new', web);
    assert.equal(errorOf(wrong)?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(errorOf(wrong)?.message, 'The current password is not correct.');
    const empty = await change('gina-password', '', web);
    assert.equal(errorOf(empty)?.extensions?.code, 'BAD_USER_INPUT');
    const auth = (await sso.mint(web)).body.data!.obtainAuthorizationToken.token;
    const withAuth = await change('gina-password', 'gina-new', auth);
    assert.equal(errorOf(withAuth)?.extensions?.reason, 'TOKEN_TYPE_INVALID');
    assert.equal((await sso.graphql(ME, { token: web })).status, 200, 'refused attempts changed nothing');

    const changed = await change('gina-password', 'gina-new', web);
    const fresh = changed.body.data!.changePassword.token as string;
    assert.equal(payloadOf(fresh).cid, 'web');
    assert.notEqual(payloadOf(fresh).sid, payloadOf(web).sid);
    for (const old of [phone, web, auth]) assert.equal((await sso.graphql(ME, { token: old })).status, 401);
    assert.deepEqual((await sso.graphql(ME, { token: fresh })).body.data, { me: { username: 'gina' } });
    await assert.rejects(sso.login('gina', 'gina-password'));
  });

  it('caches checked sessions only where revocations are sure to arrive', async () => {
    // Real PostgreSQL delivers LISTEN/NOTIFY between connections; the embedded PGlite does not.
    assert.equal(sso.service.services.sessionCache.live, Boolean(process.env.TEST_DATABASE_URL));
    const token = await sso.login('alice', 'alice-password', { clientId: 'direct-sql' });
    assert.equal((await sso.graphql(ME, { token })).status, 200);
    // A revocation made behind the service's back (an operator's SQL) is seen too.
    await sso.db.orm.em.fork().nativeUpdate(SessionToken, { id: payloadOf(token).sid }, { revokedAt: new Date() });
    const deadline = Date.now() + 1000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await sso.graphql(ME, { token })).status;
    assert.equal(status, 401);
  });
});

describe('a burst of requests on a session not yet cached', () => {
  const skip = !process.env.TEST_DATABASE_URL && 'the session cache is live on PostgreSQL LISTEN/NOTIFY (TEST_DATABASE_URL)';
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity();
    await sso.createUser('hana', 'hana-password');
  });
  after(() => sso.close());

  /** A connection holding the session table locked: reads of it wait until it rolls back. */
  const lockSessions = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: sso.databaseUrl });
    await client.connect();
    await client.query('begin');
    await client.query('lock table "session_token" in access exclusive mode');
    return client;
  };

  /** Queries of the test's database waiting for a lock now. */
  const lockWaits = async (db: pg.Client): Promise<number> =>
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      )
    ).rows[0]!.n;

  /** Resolves once `count` queries wait for a lock. */
  const waitingOnLock = async (db: pg.Client, count: number) => {
    const deadline = Date.now() + 5000;
    while ((await lockWaits(db)) < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} queries wait on the lock`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('reads the session once for requests that arrive together', { skip }, async () => {
    const token = await sso.login('hana', 'hana-password');
    const locker = await lockSessions();
    try {
      // The read waits behind the lock long enough for all sixteen requests to need the session.
      const before = await queryCount(sso.url);
      const answers = Promise.all(Array.from({ length: 16 }, () => sso.graphql(ME, { token })));
      await waitingOnLock(locker, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await lockWaits(locker), 1, 'one read waits, for all of them');
      await locker.query('rollback');
      for (const answer of await answers) assert.deepEqual(answer.body.data, { me: { username: 'hana' } });
      assert.equal((await queryCount(sso.url)) - before, 1);
    } finally {
      await locker.end();
    }
  });

  it('does not share a read begun before an eviction: a later request reads afresh', { skip }, async () => {
    const token = await sso.login('hana', 'hana-password', { clientId: 'evicted-meanwhile' });
    const locker = await lockSessions();
    try {
      // The first request's read waits behind the lock; an eviction (what a notification does) arrives meanwhile.
      const before = await queryCount(sso.url);
      const first = sso.graphql(ME, { token });
      await waitingOnLock(locker, 1);
      sso.service.services.sessionCache.evictSession(payloadOf(token).sid);
      const second = sso.graphql(ME, { token });
      await waitingOnLock(locker, 2);
      await locker.query('rollback');
      for (const answer of await Promise.all([first, second])) assert.deepEqual(answer.body.data, { me: { username: 'hana' } });
      assert.equal((await queryCount(sso.url)) - before, 2);
    } finally {
      await locker.end();
    }
  });
});

describe('losing the notification connection', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity();
    await sso.createUser('erin', 'erin-password');
  });
  after(() => sso.close());

  it(
    'stops caching at once and resumes once it is back',
    { skip: !process.env.TEST_DATABASE_URL && 'needs PostgreSQL LISTEN/NOTIFY (TEST_DATABASE_URL)' },
    async () => {
      const cache = sso.service.services.sessionCache;
      const token = await sso.login('erin', 'erin-password');
      assert.equal((await sso.graphql(ME, { token })).status, 200);
      assert.equal(cache.live, true);
      assert.equal(cache.size, 1);
      const db = sso.db.orm.em.fork().getConnection();
      await db.execute(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`,
      );
      const until = async (condition: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        return condition();
      };
      assert.equal(await until(() => !cache.live), true, 'caching stops when the listener is lost');
      assert.equal(cache.get(payloadOf(token).sid), undefined, 'and no longer answers from what it held');
      // Meanwhile every request reads the database: a revocation now is seen at once.
      await sso.db.orm.em.fork().nativeUpdate(SessionToken, { id: payloadOf(token).sid }, { revokedAt: new Date() });
      assert.equal((await sso.graphql(ME, { token })).status, 401);
      assert.equal(await until(() => cache.live), true, 'the listener reconnects');
    },
  );
});

describe('session expiry', () => {
  let sso: TestIdentity;
  let clock = 0;
  before(async () => {
    sso = await startIdentity({ sessionExpiration: 3600, sessionIdleTimeout: 600 }, { sessions: { now: () => Date.now() + clock } });
    await sso.createUser('carol', 'carol-password');
  });
  after(() => sso.close());

  it('refuses a session idle for longer than sessionIdleTimeout', async () => {
    clock = 0;
    const token = await sso.login('carol', 'carol-password', { clientId: 'idle' });
    clock = 599_000;
    assert.equal((await sso.graphql(ME, { token })).status, 200, 'used within the limit (and recorded)');
    clock = 599_000 + 601_000;
    const refused = await sso.graphql(ME, { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errors?.[0]?.extensions?.reason, 'SESSION_EXPIRED');
    const fresh = await sso.login('carol', 'carol-password', { clientId: 'idle' });
    assert.notEqual(payloadOf(fresh).sid, payloadOf(token).sid, 'an idle session is not reused at login');
  });

  it('refuses a session older than sessionExpiration however often it is used', async () => {
    clock = 0;
    const token = await sso.login('carol', 'carol-password', { clientId: 'old' });
    for (const minutes of [9, 18, 27, 36, 45, 54]) {
      clock = minutes * 60_000;
      assert.equal((await sso.graphql(ME, { token })).status, 200);
    }
    clock = 3_601_000;
    const refused = await sso.graphql(ME, { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errors?.[0]?.extensions?.reason, 'SESSION_EXPIRED');
    assert.equal((await sso.mint(token)).status, 401);
  });
});

describe('revocation across processes', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity();
    await sso.createUser('dana', 'dana-password');
  });
  after(() => sso.close());

  it('a second identity-service process refuses a revoked session within a second', async (t) => {
    const config = join(sso.keys.root, 'second.json');
    writeFileSync(
      config,
      JSON.stringify({ identity: 'myapp', keyStoreRoot: sso.keys.root, privateKeys: { myapp: ['myapp-20200410.pem'] } }),
    );
    const second = await startServe({ DATABASE_URL: sso.databaseUrl, SSO_CONFIG: config, SSO_DATA_DIR: sso.keys.root, LOG_LEVEL: 'info' }, [
      '--no-migrate',
    ]);
    try {
      const token = await sso.login('dana', 'dana-password');
      const askSecond = async () =>
        (
          await fetch(second.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
            body: JSON.stringify({ query: ME }),
          })
        ).status;
      // Warm the second process (its cache, where it has one).
      assert.equal(await askSecond(), 200);
      assert.equal(await askSecond(), 200);
      assert.deepEqual((await sso.graphql('mutation { revokeSession }', { token })).body.data, { revokeSession: true });
      const revokedAt = performance.now();
      let status = 200;
      while (status === 200 && performance.now() - revokedAt < 5000) status = await askSecond();
      const elapsed = performance.now() - revokedAt;
      t.diagnostic(`revocation seen by the second process after ${elapsed.toFixed(1)} ms`);
      assert.equal(status, 401);
      assert.ok(elapsed < 1000, `propagation took ${elapsed.toFixed(0)} ms`);
      const caching = /Caching sessions: revocations arrive through LISTEN\/NOTIFY/.test(second.output());
      assert.equal(caching, Boolean(process.env.TEST_DATABASE_URL), 'the second process caches sessions exactly on real PostgreSQL');
    } finally {
      await second.stop();
    }
  });
});
