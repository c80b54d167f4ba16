import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { resolveSettings } from '../../src/config/resolve.js';
import { migrate, openDatabase } from '../../src/db/index.js';
import { identityEntities } from '../../src/identity/entities/index.js';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { UserService } from '../../src/identity/user-service.js';
import { generateKeyPem } from '../../src/index.js';
import { startServe, type ServeProcess } from '../support/cli.js';
import { createTestLogger } from '../support/database.js';
import { LOGIN, payloadOf } from '../support/identity.js';
import { postgresServerUnavailable, startPostgresServer, type PostgresServer } from '../support/postgres-server.js';

const ME = 'query { me { username } }';
const WORKERS = 4;
/** Longer than any bounded wait of the service (databaseTimeout 2 s): past it, a request hangs. */
const HANG = 15_000;

type Phase = 'up' | 'down' | 'back';

interface Outcome {
  kind: 'login' | 'me';
  /** The phase when it was sent and when it was answered. */
  sent: Phase;
  answered: Phase;
  status: number | 'hang' | 'network error';
  code?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

describe('PostgreSQL crashes and restarts under load', { skip: postgresServerUnavailable() ?? false, timeout: 120_000 }, () => {
  let postgres: PostgresServer | undefined;
  let serve: ServeProcess | undefined;
  let dir: string;

  before(async () => {
    postgres = await startPostgresServer();
    dir = mkdtempSync(join(tmpdir(), 'sso-faults-'));
    writeFileSync(join(dir, 'myapp.pem'), await generateKeyPem(), { mode: 0o600 });
    const config = {
      identity: 'myapp',
      keyStoreRoot: dir,
      privateKeys: { myapp: ['myapp.pem'] },
      passwordHashRounds: 4,
      databaseTimeout: 2,
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env = { DATABASE_URL: postgres.url, SSO_CONFIG: join(dir, 'config.json'), SSO_DATA_DIR: dir };
    // The users, through the library rather than one CLI process each: start-up time is scarce.
    const db = await openDatabase({
      url: postgres.url,
      dataDir: dir,
      entities: identityEntities,
      migrations: identityMigrations,
      logger: createTestLogger(),
    });
    try {
      await migrate(db);
      const users = new UserService(db.orm, resolveSettings(config));
      for (const name of ['steady', ...Array.from({ length: WORKERS }, (_, i) => `user${i}`)])
        await users.create({ username: name, password: `${name}-secret-password` });
    } finally {
      await db.close();
    }
    serve = await startServe({ ...env, LOG_LEVEL: 'info' });
    // Sessions are remembered (what keeps token-only requests working) once notifications arrive.
    assert.ok(await until(() => /Caching sessions/.test(serve!.output()), 10_000), serve.output());
  });

  after(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await postgres?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast with 503, keeps token-only requests working, recovers by itself and keeps every session', async (t) => {
    const server = serve!;
    const origin = new URL(server.url).origin;
    let phase: Phase = 'up';
    const outcomes: Outcome[] = [];
    /** Every token a login returned, with the user, client and user agent it was issued for. */
    const issued: { token: string; key: string }[] = [];

    const graphql = async (
      query: string,
      variables: Record<string, unknown>,
      token?: string,
    ): Promise<{ status: Outcome['status']; body?: any }> => {
      try {
        const response = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'fault-test', ...(token ? { authorization: `JWT ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(HANG),
        });
        return { status: response.status, body: await response.json() };
      } catch (error) {
        return { status: (error as Error).name === 'TimeoutError' ? 'hang' : 'network error' };
      }
    };
    const record = async (kind: Outcome['kind'], send: () => ReturnType<typeof graphql>) => {
      const sent = phase;
      const answer = await send();
      outcomes.push({ kind, sent, answered: phase, status: answer.status, code: answer.body?.errors?.[0]?.extensions?.code });
      return answer;
    };
    const login = (username: string, clientId: string) => graphql(LOGIN, { username, password: `${username}-secret-password`, clientId });
    const readyz = async () => (await fetch(`${origin}/readyz`)).status;

    // Steady load: each worker logs in again and again as its own user and client (so each login
    // reuses its session), and uses its latest token.
    let running = true;
    const worker = async (i: number) => {
      let token: string | undefined;
      while (running) {
        const answer = await record('login', () => login(`user${i}`, `client${i}`));
        if (answer.status === 200) {
          assert.ok(answer.body.data, JSON.stringify(answer.body));
          token = answer.body.data.obtainSessionToken.token as string;
          issued.push({ token, key: `user${i}/client${i}` });
        }
        for (let j = 0; j < 3 && token; j += 1) await record('me', () => graphql(ME, {}, token));
        await sleep(10);
      }
    };
    const load = Array.from({ length: WORKERS }, (_, i) => worker(i));

    try {
      // A session used just before the outage, and never logged into again.
      const steady = (await login('steady', 'steady')).body.data.obtainSessionToken.token as string;
      issued.push({ token: steady, key: 'steady/steady' });
      await sleep(1500);
      assert.equal((await graphql(ME, {}, steady)).status, 200);

      postgres!.kill();
      phase = 'down';
      assert.ok(await until(async () => (await readyz()) === 503, 10_000), 'readyz reports the database down');
      const failedLogin = await login('steady', 'other-client');
      assert.equal(failedLogin.status, 503, JSON.stringify(failedLogin.body));
      assert.equal(failedLogin.body.errors[0].extensions.code, 'SERVICE_UNAVAILABLE');
      assert.deepEqual(
        await graphql(ME, {}, steady),
        { status: 200, body: { data: { me: { username: 'steady' } } } },
        'a checked session keeps working',
      );
      assert.equal((await fetch(`${origin}/.well-known/jwks.json`)).status, 200);
      assert.equal((await fetch(`${origin}/healthz`)).status, 200);
      await sleep(1500);

      await postgres!.start();
      const restarted = Date.now();
      assert.ok(await until(async () => (await readyz()) === 200, 20_000), 'the service sees the database back by itself');
      t.diagnostic(`ready ${Date.now() - restarted} ms after PostgreSQL accepted connections again`);
      assert.equal(server.child.exitCode, null, 'without a restart');
      phase = 'back';
      await sleep(1500);
    } finally {
      running = false;
      await Promise.all(load);
    }

    const during = (sent: Phase, answered: Phase = sent) => outcomes.filter((o) => o.sent === sent && o.answered === answered);
    for (const sent of ['up', 'down', 'back'] as const) {
      const counts = new Map<string, number>();
      for (const o of outcomes.filter((o) => o.sent === sent))
        counts.set(`${o.kind} ${o.status}`, (counts.get(`${o.kind} ${o.status}`) ?? 0) + 1);
      t.diagnostic(`${sent}: ${[...counts].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    }
    assert.equal(outcomes.filter((o) => o.status === 'hang' || o.status === 'network error').length, 0, 'every request is answered');
    assert.ok(during('up').length > 0 && during('up').every((o) => o.status === 200), 'all served before the crash');
    const down = during('down');
    assert.ok(
      down.every((o) => o.status === 200 || (o.status === 503 && o.code === 'SERVICE_UNAVAILABLE')),
      JSON.stringify(down.filter((o) => o.status !== 200)),
    );
    assert.ok(
      down.some((o) => o.kind === 'login' && o.status === 503),
      'logins fail fast while it is down',
    );
    assert.ok(
      down.some((o) => o.kind === 'me' && o.status === 200),
      'token-only requests keep working',
    );
    assert.ok(
      during('back').length > 0 && during('back').every((o) => o.status === 200),
      JSON.stringify(during('back').filter((o) => o.status !== 200)),
    );

    // Every token a login returned still works, and stands for exactly one session row.
    for (const token of new Set(issued.map((i) => i.token))) assert.equal((await graphql(ME, {}, token)).status, 200);
    const client = new pg.Client({ connectionString: postgres!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; key: string }>(
        `select s.id, u.username || '/' || s.client_id as key from session_token s join users u on u.id = s.user_id where s.revoked_at is null`,
      );
      const keys = [...new Set(issued.map((i) => i.key))].sort();
      assert.deepEqual(rows.map((r) => r.key).sort(), keys, 'one session per user, client and user agent: none lost, none duplicated');
      const sids = new Set(rows.map((r) => r.id));
      assert.ok(
        issued.every(({ token }) => sids.has(payloadOf(token).sid)),
        'every issued token names an existing session',
      );
    } finally {
      await client.end();
    }
    const output = server.output();
    assert.ok(
      !issued.some(({ token }) => output.includes(token.split('.')[2]!)) && !output.includes('secret-password'),
      'no token or password is logged',
    );
  });
});
