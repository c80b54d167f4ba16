import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { resolveSettings } from '../../src/config/resolve.js';
import { migrate, openDatabase, type Database } from '../../src/db/index.js';
import { isDatabaseUnavailable } from '../../src/lib/database-unavailable.js';
import { identityEntities } from '../../src/identity/entities/index.js';
import type { SessionToken } from '../../src/identity/entities/session-token.js';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { SessionCache } from '../../src/identity/session-cache.js';
import { SessionService } from '../../src/identity/session-service.js';
import { UserService } from '../../src/identity/user-service.js';
import { TOKEN_SESSION, type TokenPayload } from '../../src/jwt/claims.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const needsServer =
  !process.env.TEST_DATABASE_URL &&
  'needs a PostgreSQL server (TEST_DATABASE_URL): PGlite runs one statement at a time, so a lock held elsewhere cannot make a read time out';

const TTL = 60_000;
/**
 * The statement timeout, for the read that waits on a lock; on PGlite (which has none), the default,
 * since connecting to it can be slow.
 */
const READ_TIMEOUT = process.env.TEST_DATABASE_URL ? 1000 : undefined;
/** SessionService's default `lastUsedInterval`: a later check records the use again. */
const PAST_LAST_USED_INTERVAL = 2 * 60_000;

/**
 * A SessionService on a fresh PostgreSQL database, connected through a TCP proxy (for outages),
 * with one user and one session in it. The cache's liveness is what the `sso_session` listener
 * would set: it is set here by hand, so that each case chooses whether the outage was noticed.
 * The cache and the service have clocks of their own, moved by hand.
 */
async function setUp() {
  const testDb: TestDatabase = await createTestDatabase();
  let proxy: TcpProxy | undefined;
  let db: Database | undefined;
  try {
    proxy = await startTcpProxy(testDb.url);
    db = await openDatabase({
      url: proxy.url,
      dataDir: tmpdir(),
      entities: identityEntities,
      migrations: identityMigrations,
      logger: createTestLogger(),
      timeout: READ_TIMEOUT,
    });
    // On PGlite, migrate's transaction on one pooled connection would wait forever on the
    // migrator's queries on another (its socket serves one transaction at a time): migrate as the
    // embedded database does, without the wrapping transaction.
    if (process.env.TEST_DATABASE_URL) await migrate(db);
    else await db.orm.getMigrator().up();
  } catch (error) {
    await db?.close();
    await proxy?.close();
    await testDb.close();
    throw error;
  }
  const settings = resolveSettings({ identity: 'myapp', passwordHashRounds: 4 });
  const clock = { cache: Date.now(), service: Date.now() };
  const cache = new SessionCache({ ttl: TTL, now: () => clock.cache });
  const users = new UserService(db.orm, settings, cache);
  const sessions = new SessionService(db.orm, settings, users, cache, { now: () => clock.service });
  const user = await users.create({ username: 'ann', password: 'ann-password' });
  const session = await sessions.obtain(user, 'web', { ip: '192.0.2.1', userAgent: 'test' });
  const payload: TokenPayload = { token: TOKEN_SESSION, iss: settings.identity!, sid: session.id, uid: user.id };
  const closeDb = db;
  const closeProxy = proxy;

  /** SQL on the database itself, past the proxy the service connects through. */
  const sql = async <T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  return {
    sessions,
    cache,
    clock,
    proxy,
    payload,
    user,
    sessionId: session.id,
    testDb,
    sql,
    /** `last_used_at` as stored, read past the proxy. */
    async storedLastUsedAt(): Promise<number | null> {
      const [row] = await sql<{ last_used_at: Date | null }>('select last_used_at from session_token where id = $1', [session.id]);
      return row?.last_used_at?.getTime() ?? null;
    },
    /** Authenticates once while live and the database is up: this process has checked the session. */
    async check(): Promise<void> {
      cache.setLive(true);
      assert.equal((await sessions.authenticate(payload, undefined)).id, user.id);
      assert.ok(cache.get(session.id), 'the checked session is remembered');
    },
    async close() {
      await closeProxy.restore();
      await closeDb.close();
      await closeProxy.close();
      await testDb.close();
    },
  };
}

type Fixture = Awaited<ReturnType<typeof setUp>>;

describe('session checks while the database cannot be read (a real PostgreSQL behind a TCP proxy)', () => {
  let fixture: Fixture | undefined;
  const open = async () => (fixture = await setUp());
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('a session this process checked stands through an outage, without recording its use', async () => {
    const { sessions, cache, clock, proxy, payload, user, sessionId, check, storedLastUsedAt } = await open();
    await check();
    const recorded = await storedLastUsedAt();
    assert.notEqual(recorded, null);
    cache.setLive(false); // the listener noticed the outage
    await proxy.cut();
    clock.service += PAST_LAST_USED_INTERVAL; // a live check now would record the use

    assert.equal(cache.get(sessionId), undefined, 'not live: the cache does not answer, the database is read');
    assert.equal((await sessions.authenticate(payload, undefined)).id, user.id);
    assert.equal(cache.getFallback(sessionId)?.lastUsedAt?.getTime(), recorded, 'no use was recorded, not even in the remembered copy');

    await proxy.restore();
    assert.equal(await storedLastUsedAt(), recorded);
  });

  it(
    'a session this process checked stands while its read times out, and no use is written though writes would pass',
    { skip: needsServer },
    async () => {
      const { sessions, cache, clock, payload, user, check, storedLastUsedAt, testDb } = await open();
      await check();
      const recorded = await storedLastUsedAt();
      cache.setLive(false);
      clock.service += PAST_LAST_USED_INTERVAL;

      // Another session holds the users table: the read (which joins it) is cancelled by
      // statement_timeout (57014), while an update of session_token alone would go through.
      const locker = new pg.Client({ connectionString: testDb.url });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table users in access exclusive mode');
        assert.equal((await sessions.authenticate(payload, undefined)).id, user.id);
      } finally {
        await locker.query('rollback').catch(() => undefined);
        await locker.end();
      }
      assert.equal(await storedLastUsedAt(), recorded, 'last_used_at was not written');
    },
  );

  it('a remembered session past sessionCacheTtl is not used during an outage: the database error stands', async () => {
    const { sessions, cache, clock, proxy, payload, user, check } = await open();
    await check();
    cache.setLive(false);
    await proxy.cut();

    clock.cache += TTL - 1;
    assert.equal((await sessions.authenticate(payload, undefined)).id, user.id, 'within its TTL, it stands');
    clock.cache += 1;
    const error = await sessions.authenticate(payload, undefined).then(
      () => assert.fail('a session remembered past its TTL was used'),
      (e: unknown) => e,
    );
    assert.equal(isDatabaseUnavailable(error), true, String(error));
  });

  it('another failure of the read (the table missing) is not papered over by what the cache remembers', async () => {
    const { sessions, cache, payload, sessionId, check, sql } = await open();
    await check();
    cache.setLive(false);
    assert.ok(cache.getFallback(sessionId), 'the session is remembered');

    await sql('alter table session_token rename to session_token_gone');
    const error = await sessions.authenticate(payload, undefined).then(
      () => assert.fail('the remembered session was used'),
      (e: unknown) => e,
    );
    assert.match(String((error as Error).message), /relation "session_token" does not exist/);
    assert.equal(isDatabaseUnavailable(error), false);
  });

  it('recording the last use is bookkeeping: an outage there does not refuse a checked session', async () => {
    const { sessions, cache, clock, proxy, payload, user, sessionId, check, storedLastUsedAt } = await open();
    await check();
    const recorded = await storedLastUsedAt();
    // Still live: the listener has not noticed yet. The session is served from the cache and
    // its use, due again, is written — into the outage.
    await proxy.cut();
    clock.service += PAST_LAST_USED_INTERVAL;
    assert.equal((await sessions.authenticate(payload, undefined)).id, user.id);
    assert.equal(cache.get(sessionId)?.lastUsedAt?.getTime(), clock.service, 'the write was attempted');

    await proxy.restore();
    assert.equal(await storedLastUsedAt(), recorded, 'and it failed');
  });

  it('recording the last use is bookkeeping, but a real bug there (the column missing) refuses the request', async () => {
    const { sessions, cache, clock, payload, sessionId, check, sql } = await open();
    await check();
    await sql('alter table session_token rename column last_used_at to last_used_at_gone');
    clock.service += PAST_LAST_USED_INTERVAL;
    assert.ok(cache.get(sessionId), 'served from the cache: only the write reaches the database');
    const error = await sessions.authenticate(payload, undefined).then(
      () => assert.fail('a failed write of last_used_at was ignored'),
      (e: unknown) => e,
    );
    assert.match(String((error as Error).message), /column "last_used_at" .*does not exist/);
    assert.equal(isDatabaseUnavailable(error), false);
  });
});

describe('SessionCache', () => {
  it('going live again forgets what was remembered: notifications may have been missed', () => {
    const session = { id: randomUUID(), user: { id: randomUUID() } } as unknown as SessionToken;
    const cache = new SessionCache({ ttl: TTL });
    cache.setLive(true);
    cache.set(session, cache.generation());
    cache.setLive(false);
    assert.equal(cache.getFallback(session.id), session);
    cache.setLive(true);
    assert.equal(cache.getFallback(session.id), undefined);
  });
});
