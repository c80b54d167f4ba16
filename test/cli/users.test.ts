import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/cli.js';
import { startIdentity, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';

describe('graphql-sso users: password changes and deactivation end sessions', () => {
  let sso: TestIdentity;
  let env: Record<string, string>;

  before(async () => {
    sso = await startIdentity();
    env = { DATABASE_URL: sso.databaseUrl };
    const created = await runCli(['users', 'create', '--username', 'frank', '--password-stdin'], { env, input: 'frank-password\n' });
    assert.equal(created.code, 0, created.stderr);
  });
  after(() => sso.close());

  const loginStatus = async (password: string) => {
    const response = await sso.graphql('mutation ($p: String!) { obtainSessionToken(username: "frank", password: $p) { token } }', {
      variables: { p: password },
    });
    return response.body.errors?.[0]?.extensions?.code ?? 'OK';
  };

  it('set-password changes the password and revokes every session', async () => {
    const before = await sso.login('frank', 'frank-password');
    const run = await runCli(['users', 'set-password', '--username', 'frank', '--password-stdin'], { env, input: 'frank-new-password\n' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'Password changed for frank; 1 session revoked');
    const refused = await sso.graphql(ME, { token: before });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errors?.[0]?.extensions?.reason, 'SESSION_REVOKED');
    assert.equal(await loginStatus('frank-password'), 'UNAUTHENTICATED');
    assert.equal(await loginStatus('frank-new-password'), 'OK');
  });

  it('deactivate revokes sessions and refuses logins; activate lets the user back in', async () => {
    const token = await sso.login('frank', 'frank-new-password');
    const off = await runCli(['users', 'deactivate', '--username', 'frank'], { env });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^Deactivated frank; \d+ sessions? revoked$/m);
    assert.equal((await sso.graphql(ME, { token })).status, 401);
    assert.equal(await loginStatus('frank-new-password'), 'UNAUTHENTICATED');
    const on = await runCli(['users', 'activate', '--username', 'frank'], { env });
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stdout.trim(), 'Activated frank');
    assert.equal(await loginStatus('frank-new-password'), 'OK');
    assert.equal((await sso.graphql(ME, { token })).status, 401, 'activation does not bring revoked sessions back');
  });

  it('users create refuses an empty password', async () => {
    for (const input of ['', '\n']) {
      const run = await runCli(['users', 'create', '--username', 'nopass', '--password-stdin'], { env, input });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Password must not be empty\./);
    }
    const login = await sso.graphql('mutation { obtainSessionToken(username: "nopass", password: "") { token } }');
    assert.equal(login.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'no user was created');
  });

  it('refuses an unknown user, an empty password and a password given without --password-stdin', async () => {
    const unknown = await runCli(['users', 'deactivate', '--username', 'nobody'], { env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No user named "nobody"\./);
    const empty = await runCli(['users', 'set-password', '--username', 'frank', '--password-stdin'], { env, input: '' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /Password must not be empty\./);
    const noStdin = await runCli(['users', 'set-password', '--username', 'frank'], { env });
    assert.equal(noStdin.code, 1);
    assert.match(noStdin.stderr, /--password-stdin is required/);
    assert.equal(await loginStatus('frank-new-password'), 'OK', 'nothing changed');
  });
});
