import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startIdentity, payloadOf, type TestIdentity } from '../support/identity.js';

const needsServer =
  !process.env.TEST_DATABASE_URL &&
  'needs a PostgreSQL server (TEST_DATABASE_URL): sessions are cached only where LISTEN/NOTIFY reaches the service';

const ME = '{ me { username } }';

/**
 * Every way a session can end outside the product — a `TRUNCATE`, an operator's bulk `UPDATE` of
 * the columns that end it — reaches a process caching sessions at once, not after `sessionCacheTtl`.
 */
describe('revocation channels reach the session cache', { skip: needsServer }, () => {
  let identity: TestIdentity;

  /** SQL through a connection of its own, as an operator's (or another process's) would be. */
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: identity.databaseUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };

  /** A fresh session for `username`, checked once so that the service has cached it. */
  const cachedSession = async (username: string) => {
    const token = await identity.login(username, `${username}-password`);
    const response = await identity.graphql(ME, { token });
    assert.equal(response.body.data?.me?.username, username);
    assert.ok(identity.service.services.sessionCache.get(payloadOf(token).sid), 'the session is cached');
    return token;
  };

  /** Waits (at most 1 s) until `token` is refused, and returns how long that took. */
  const refusedWithin = async (token: string) => {
    const started = Date.now();
    for (;;) {
      const response = await identity.graphql(ME, { token });
      if (!response.body.data?.me) return Date.now() - started;
      assert.ok(Date.now() - started < 1000, 'still accepted after 1 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  before(async () => {
    identity = await startIdentity({ sessionCacheTtl: 600, sessionExpiration: 3600 });
    for (const name of ['ann', 'bob', 'cid']) await identity.createUser(name, `${name}-password`);
    assert.ok(identity.service.services.sessionCache.live, 'the session cache is live on PostgreSQL');
  });

  after(async () => {
    await identity?.close();
  });

  it('TRUNCATE session_token empties the cache', async () => {
    const token = await cachedSession('ann');
    await sql('truncate session_token');
    await refusedWithin(token);
    assert.equal(identity.service.services.sessionCache.size, 0);
  });

  it("a bulk UPDATE of sessions' start (their expiry) evicts them", async () => {
    const token = await cachedSession('bob');
    await sql("update session_token set created_at = '2000-01-01'");
    await refusedWithin(token);
  });

  it('TRUNCATE users (cascading to sessions) empties the cache', async () => {
    const token = await cachedSession('cid');
    await sql('truncate users cascade');
    await refusedWithin(token);
    assert.equal(identity.service.services.sessionCache.size, 0);
  });
});
