import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runCli } from '../support/cli.js';
import { LOGIN, startIdentity, type GraphQLResponse, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';
const CHANGE_PASSWORD = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }';

async function until(condition: () => Promise<boolean>, what: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * A login whose password check began before a credential change and whose session is created
 * after it committed. The interleaving is forced through the database the service shares, as a
 * concurrent process could: once the attempt is counted (the throttle's row for the attacker's
 * address exists, which happens before the password is compared; bcrypt at cost 12 leaves
 * hundreds of milliseconds), a transaction locks that row, and the login, its password checked,
 * waits on it to take its attempt back, before creating its session. The pause is proven, not
 * assumed: the login must be seen waiting on the lock, or the test fails.
 */
async function pauseAfterPasswordCheck(sso: TestIdentity, row: { kind: string; key: string }, send: () => Promise<GraphQLResponse>) {
  const locker = new pg.Client({ connectionString: sso.databaseUrl });
  const observer = new pg.Client({ connectionString: sso.databaseUrl });
  await Promise.all([locker.connect(), observer.connect()]);
  const counted = async () =>
    ((await locker.query(`select 1 from "login_throttle" where "kind" = $1 and "key" = $2`, [row.kind, row.key])).rowCount ?? 0) > 0;
  assert.equal(await counted(), false, 'each scenario counts on a throttle row of its own');
  const pending = send();
  await until(counted, 'the login attempt is counted');
  await locker.query('begin');
  await locker.query(`select 1 from "login_throttle" where "kind" = $1 and "key" = $2 for update`, [row.kind, row.key]);
  await until(async () => {
    // Read outside the locking transaction: within one, pg_stat_activity is a snapshot.
    const { rows } = await observer.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%login_throttle%'`,
    );
    return rows[0]!.n > 0;
  }, 'the login, its password checked, waits before creating its session');
  await observer.end();
  return {
    pending,
    async resume(): Promise<GraphQLResponse> {
      await locker.query('rollback');
      await locker.end();
      return pending;
    },
  };
}

/** A login from `address` (of its own), paused once its password is checked, on its address's throttle row. */
function pauseLogin(sso: TestIdentity, address: string, username: string, password: string) {
  return pauseAfterPasswordCheck(sso, { kind: 'ip', key: address }, () =>
    sso.graphql(LOGIN, { variables: { username, password }, headers: { 'x-forwarded-for': address } }),
  );
}

/**
 * Whatever the interleaving, no session outlives a new password, a deactivation or a revoke-all
 * that committed before its row was created (issue 14, class 1). Needs a PostgreSQL server
 * (`TEST_DATABASE_URL`): the embedded PGlite runs one statement at a time, so no login can wait on
 * a lock there while another change commits.
 */
describe('security: a login racing a credential change', { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' }, () => {
  let sso: TestIdentity;
  let env: Record<string, string>;
  let address = 0;
  const nextAddress = () => `203.0.113.${(address += 1)}`;

  before(async () => {
    sso = await startIdentity({ trustProxy: true, passwordHashRounds: 12 });
    env = { DATABASE_URL: sso.databaseUrl };
  });
  after(() => sso.close());

  /** The paused login's outcome: refused, or a session token that no longer works. */
  async function assertNoSurvivingSession(response: GraphQLResponse): Promise<void> {
    const token = response.body.data?.obtainSessionToken?.token as string | undefined;
    if (token === undefined) {
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(response.body));
      assert.equal(response.body.errors?.[0]?.message, 'Unable to log in with provided credentials.');
      return;
    }
    const me = await sso.graphql(ME, { token });
    assert.equal(me.status, 401, `the session created after the change survives: ${JSON.stringify(me.body)}`);
  }

  it('a paused login completes when nothing changes (control)', async () => {
    await sso.createUser('carl', 'carl-password');
    const login = await pauseLogin(sso, nextAddress(), 'carl', 'carl-password');
    const response = await login.resume();
    const token = response.body.data?.obtainSessionToken?.token as string;
    assert.ok(token, JSON.stringify(response.body));
    assert.equal((await sso.graphql(ME, { token })).status, 200);
  });

  it('changePassword (GraphQL) committed while the login was paused', async () => {
    await sso.createUser('dora', 'dora-password');
    const victim = await sso.login('dora', 'dora-password', { headers: { 'x-forwarded-for': '198.51.100.1' } });
    const login = await pauseLogin(sso, nextAddress(), 'dora', 'dora-password');
    const changed = await sso.graphql(CHANGE_PASSWORD, {
      variables: { c: 'dora-password', n: 'dora-new-password' },
      token: victim,
      headers: { 'x-forwarded-for': '198.51.100.1' },
    });
    assert.ok(changed.body.data?.changePassword?.token, JSON.stringify(changed.body));
    await assertNoSurvivingSession(await login.resume());
    assert.equal((await sso.graphql(ME, { token: changed.body.data!.changePassword.token })).status, 200, 'the changer stays logged in');
  });

  it('graphql-sso users set-password committed while the login was paused', async () => {
    await sso.createUser('emil', 'emil-password');
    const login = await pauseLogin(sso, nextAddress(), 'emil', 'emil-password');
    const run = await runCli(['users', 'set-password', '--username', 'emil', '--password-stdin'], { env, input: 'emil-new-password\n' });
    assert.equal(run.code, 0, run.stderr);
    await assertNoSurvivingSession(await login.resume());
  });

  it('graphql-sso users deactivate committed while the login was paused', async () => {
    await sso.createUser('fern', 'fern-password');
    const login = await pauseLogin(sso, nextAddress(), 'fern', 'fern-password');
    const run = await runCli(['users', 'deactivate', '--username', 'fern'], { env });
    assert.equal(run.code, 0, run.stderr);
    const response = await login.resume();
    // An inactive user's tokens are refused anyway; the session must not come back with the user.
    const on = await runCli(['users', 'activate', '--username', 'fern'], { env });
    assert.equal(on.code, 0, on.stderr);
    await assertNoSurvivingSession(response);
  });

  it("changePassword with a stolen session cannot override an administrator's reset that committed after its password check", async () => {
    const { id } = await sso.createUser('ivy', 'ivy-password');
    const stolen = await sso.login('ivy', 'ivy-password', { headers: { 'x-forwarded-for': nextAddress() } });
    // changePassword counts its current password per user (a digest of the user id), on a row of its own.
    const row = {
      kind: 'password',
      key: createHash('sha256')
        .update(JSON.stringify([id]))
        .digest('hex'),
    };
    const change = await pauseAfterPasswordCheck(sso, row, () =>
      sso.graphql(CHANGE_PASSWORD, { variables: { c: 'ivy-password', n: 'taken-over' }, token: stolen }),
    );
    const reset = await runCli(['users', 'set-password', '--username', 'ivy', '--password-stdin'], { env, input: 'ivy-reset\n' });
    assert.equal(reset.code, 0, reset.stderr);
    const answer = await change.resume();
    assert.equal(answer.body.data?.changePassword ?? null, null, JSON.stringify(answer.body));
    assert.equal(answer.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const attempt = (password: string) =>
      sso.graphql(LOGIN, { variables: { username: 'ivy', password }, headers: { 'x-forwarded-for': nextAddress() } });
    assert.equal((await attempt('taken-over')).body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', "the thief's password was not set");
    assert.ok((await attempt('ivy-reset')).body.data?.obtainSessionToken?.token, "the administrator's stands");
  });

  it('revokeAllSessions committed while the login was paused', async () => {
    await sso.createUser('gus', 'gus-password');
    const victim = await sso.login('gus', 'gus-password', { headers: { 'x-forwarded-for': '198.51.100.2' } });
    const login = await pauseLogin(sso, nextAddress(), 'gus', 'gus-password');
    const revoked = await sso.graphql('mutation { revokeAllSessions }', { token: victim });
    assert.equal(revoked.body.data?.revokeAllSessions, 1, JSON.stringify(revoked.body));
    await assertNoSurvivingSession(await login.resume());
  });

  it('revokeAllSessions(exceptCurrent: true) — "log out everywhere else" — committed while the login was paused', async () => {
    await sso.createUser('hope', 'hope-password');
    const victim = await sso.login('hope', 'hope-password', { headers: { 'x-forwarded-for': '198.51.100.3' } });
    const login = await pauseLogin(sso, nextAddress(), 'hope', 'hope-password');
    const revoked = await sso.graphql('mutation { revokeAllSessions(exceptCurrent: true) }', { token: victim });
    assert.equal(revoked.body.data?.revokeAllSessions, 0, JSON.stringify(revoked.body));
    await assertNoSurvivingSession(await login.resume());
    assert.equal((await sso.graphql(ME, { token: victim })).status, 200, 'the current session stays');
  });
});
