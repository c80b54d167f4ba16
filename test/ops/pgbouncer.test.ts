import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { PGBOUNCER, startPgBouncer, type PgBouncer } from '../../bench/lib/pgbouncer.js';
import { queryCount } from '../support/metrics.js';
const skip = !process.env.TEST_DATABASE_URL
  ? 'needs TEST_DATABASE_URL: PgBouncer pools a PostgreSQL server, not the embedded database'
  : PGBOUNCER === undefined
    ? 'needs pgbouncer (apt-get install pgbouncer; .ci/run installs it)'
    : false;

async function graphql(url: string, query: string, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

describe('scale-out: several serve processes behind PgBouncer (transaction pooling), Redis for the throttle', { skip }, () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  const servers: ServeProcess[] = [];
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(new URL(db.url));
    const dir = mkdtempSync(join(tmpdir(), 'sso-pooled-'));
    const config = join(dir, 'sso.config.json');
    writeFileSync(config, JSON.stringify({ redisUrl: 'redis://127.0.0.1:6379' }));
    const database = new URL(db.url).pathname.slice(1);
    env = { DATABASE_URL: bouncer.url(database), DATABASE_LISTEN_URL: db.url, SSO_CONFIG: config, SSO_DATA_DIR: join(dir, 'data') };
    // Migrations take a direct connection, as an operator runs them once per release.
    const migrated = await runCli(['migrate'], { env: { ...env, DATABASE_URL: db.url } });
    assert.equal(migrated.code, 0, migrated.stderr);
    // The first process creates the development key under SSO_DATA_DIR; the others read it.
    servers.push(await startServe(env, ['--no-migrate']));
    servers.push(await startServe(env, ['--no-migrate']));
    const created = await runCli(['users', 'create', '--username', 'pooled-alice', '--password-stdin'], { env, input: 'alice-password' });
    assert.equal(created.code, 0, created.stderr);
  });

  after(async () => {
    for (const server of servers) await server.stop();
    bouncer?.stop();
    await db?.close();
  });

  it('logins, minting and me work through the pooler on every process, and a revocation reaches the others within a second', async () => {
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const login = await graphql(a.url, 'mutation { obtainSessionToken(username: "pooled-alice", password: "alice-password") { token } }');
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const session = login.body.data.obtainSessionToken.token as string;
    const minted = await graphql(b.url, 'mutation { obtainAuthorizationToken { token } }', session);
    assert.ok(minted.body.data?.obtainAuthorizationToken?.token, JSON.stringify(minted.body));
    const me = async (server: ServeProcess) => (await graphql(server.url, '{ me { username } }', session)).body.data?.me?.username;
    for (const server of servers) {
      assert.equal(await me(server), 'pooled-alice');
      // The session cache is live only while its LISTEN (on DATABASE_LISTEN_URL, past the pooler)
      // delivers: then further requests of the session ask the database nothing.
      const queriesBefore = await queryCount(server.url);
      for (let i = 0; i < 3; i++) assert.equal(await me(server), 'pooled-alice');
      assert.equal(await queryCount(server.url), queriesBefore, 'sessions are cached on every process');
    }

    const revoked = await graphql(a.url, 'mutation { revokeSession }', session);
    assert.equal(revoked.body.data?.revokeSession, true, JSON.stringify(revoked.body));
    const since = Date.now();
    let answer = await graphql(b.url, '{ me { username } }', session);
    while (answer.status === 200 && Date.now() - since < 1000) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await graphql(b.url, '{ me { username } }', session);
    }
    assert.equal(answer.status, 401, `the other process still served the revoked session after ${Date.now() - since} ms`);
    assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');

    const admin = await bouncer.admin();
    try {
      const { rows } = await admin.query('SHOW STATS');
      const database = new URL(db.url).pathname.slice(1);
      const stats = rows.find((row) => row.database === database);
      assert.ok(Number(stats?.total_xact_count) > 0, 'the services queried through PgBouncer');
    } finally {
      await admin.end();
    }
  });

  it('wrong passwords are throttled across processes through Redis', async () => {
    const [a, b] = servers as [ServeProcess, ServeProcess];
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 7; i++) {
      const server = i % 2 === 0 ? a : b;
      const answer = await graphql(server.url, 'mutation { obtainSessionToken(username: "pooled-alice", password: "wrong") { token } }');
      codes.push(answer.body.errors?.[0]?.extensions?.code);
    }
    assert.ok(codes.includes('TOO_MANY_REQUESTS'), `no attempt throttled: ${codes.join(', ')}`);
  });
});
