import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSettings } from '../../src/config/resolve.js';
import { SettingsError } from '../../src/errors.js';
import { IdentityService } from '../../src/server/identity-service.js';
import { createTestLogger } from '../support/database.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';
const MY_SESSIONS = '{ mySessions { id } }';

/** Active sessions per user are bounded (`maxSessionsPerUser`): a login past it revokes the least recently used. */
describe('security: sessions per user are capped', () => {
  let sso: TestIdentity;
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const tick = (seconds: number) => {
    clock += seconds * 1000;
  };

  before(async () => {
    sso = await startIdentity({ maxSessionsPerUser: 3, loginThrottle: null }, { sessions: { now: () => clock } });
  });
  after(() => sso.close());

  const status = async (token: string) => (await sso.graphql(ME, { token })).status;
  const activeRows = async (userId: string) =>
    (
      await sso.db.orm.em
        .fork()
        .execute<{ n: number }[]>(`select count(*)::int as n from "session_token" where "user_id" = ? and "revoked_at" is null`, [userId])
    )[0]!.n;

  it('a login past the cap revokes the oldest sessions; the user keeps the newest', async () => {
    const { id } = await sso.createUser('ann', 'ann-password');
    const tokens: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      tokens.push(await sso.login('ann', 'ann-password', { clientId: `device-${i}` }));
      tick(1);
    }
    assert.deepEqual(await Promise.all(tokens.map(status)), [401, 401, 200, 200, 200]);
    const refused = await sso.graphql(ME, { token: tokens[0]! });
    assert.equal(refused.body.errors?.[0]?.extensions?.reason, 'SESSION_REVOKED');
    const listed = (await sso.graphql(MY_SESSIONS, { token: tokens[4]! })).body.data!.mySessions as { id: string }[];
    assert.deepEqual(
      listed.map((s) => s.id).sort(),
      tokens
        .slice(2)
        .map((t) => payloadOf(t).sid)
        .sort(),
    );
    assert.equal(await activeRows(id), 3);
  });

  it('"oldest" is by last use: a session in use is kept over an idle newer one', async () => {
    await sso.createUser('ben', 'ben-password');
    const first = await sso.login('ben', 'ben-password', { clientId: 'phone' });
    tick(61);
    const second = await sso.login('ben', 'ben-password', { clientId: 'tablet' });
    tick(61);
    const third = await sso.login('ben', 'ben-password', { clientId: 'laptop' });
    tick(61);
    assert.equal(await status(first), 200, 'the phone is used (its last use recorded: over a minute since)');
    tick(61);
    const fourth = await sso.login('ben', 'ben-password', { clientId: 'desktop' });
    assert.deepEqual(await Promise.all([first, second, third, fourth].map(status)), [200, 401, 200, 200]);
  });

  it('re-logging in on a device reuses its session: nothing is revoked', async () => {
    await sso.createUser('cleo', 'cleo-password');
    const tokens = [];
    for (const client of ['a', 'b', 'c']) tokens.push(await sso.login('cleo', 'cleo-password', { clientId: client }));
    const again = await sso.login('cleo', 'cleo-password', { clientId: 'c' });
    assert.equal(payloadOf(again).sid, payloadOf(tokens[2]!).sid);
    assert.deepEqual(await Promise.all(tokens.map(status)), [200, 200, 200]);
  });

  it('concurrent logins cannot exceed the cap: of 20 at once, 3 sessions stay active', async () => {
    const { id } = await sso.createUser('dan', 'dan-password');
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sso.login('dan', 'dan-password', { clientId: `c${i}` })));
    assert.equal(await activeRows(id), 3);
    const statuses = await Promise.all(tokens.map(status));
    assert.equal(statuses.filter((s) => s === 200).length, 3);
    assert.equal(statuses.filter((s) => s === 401).length, 17);
  });

  it(
    'the revocation reaches the session cache of another process at once (sso_session notifications)',
    { skip: !process.env.TEST_DATABASE_URL && 'the embedded PGlite caches no sessions' },
    async () => {
      const other = await IdentityService.create({
        settings: sso.service.services.settings,
        orm: sso.db.orm,
        logger: createTestLogger(),
        sessions: { now: () => clock },
      });
      try {
        const otherUrl = await other.listen(0, '127.0.0.1');
        const meThere = async (token: string) =>
          (
            await fetch(otherUrl, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
              body: JSON.stringify({ query: ME }),
            })
          ).status;
        await sso.createUser('eve', 'eve-password');
        const oldest = await sso.login('eve', 'eve-password', { clientId: 'old' });
        const deadline = Date.now() + 5000;
        while (!other.services.sessionCache.live && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal(await meThere(oldest), 200);
        assert.ok(other.services.sessionCache.get(payloadOf(oldest).sid), 'the other process caches the session');
        tick(1);
        for (const client of ['b', 'c', 'd']) {
          await sso.login('eve', 'eve-password', { clientId: client });
          tick(1);
        }
        const evicted = Date.now() + 2000;
        while (other.services.sessionCache.get(payloadOf(oldest).sid) && Date.now() < evicted) await new Promise((r) => setTimeout(r, 1));
        assert.equal(await meThere(oldest), 401, 'the other process refuses the revoked session');
      } finally {
        await other.close();
      }
    },
  );
});

describe('maxSessionsPerUser setting', () => {
  it('defaults to 100; null is no limit', () => {
    assert.equal(resolveSettings().maxSessionsPerUser, 100);
    assert.equal(resolveSettings({ maxSessionsPerUser: null }).maxSessionsPerUser, null);
    assert.equal(resolveSettings({ maxSessionsPerUser: 1 }).maxSessionsPerUser, 1);
  });

  it('refuses what is not a whole number of 1 or more, naming the setting', () => {
    for (const value of [0, -1, 1.5, '10', Number.NaN, Infinity]) {
      assert.throws(
        () => resolveSettings({ maxSessionsPerUser: value as number }),
        (error: unknown) =>
          error instanceof SettingsError &&
          error.setting === 'maxSessionsPerUser' &&
          /^Invalid setting "maxSessionsPerUser": must be a whole number of sessions \(1 or more; null for no limit\)/.test(error.message),
        String(value),
      );
    }
  });
});

describe('maxSessionsPerUser: null', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({ maxSessionsPerUser: null, loginThrottle: null });
  });
  after(() => sso.close());

  it('revokes nothing, however many sessions', async () => {
    await sso.createUser('fay', 'fay-password');
    const tokens = [];
    for (let i = 0; i < 5; i += 1) tokens.push(await sso.login('fay', 'fay-password', { clientId: `d${i}` }));
    for (const token of tokens) assert.equal((await sso.graphql(ME, { token })).status, 200);
  });
});
