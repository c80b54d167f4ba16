import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorizationPayload, type PayloadInput } from '../../src/index.js';
import { payloadOf, startIdentity, type GraphQLResponse, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';
const MY_SESSIONS = '{ mySessions { id current } }';

/** Even an authorization token carrying the admin scope manages nothing. */
function adminScope(input: PayloadInput) {
  return { ...createAuthorizationPayload(input), scopes: ['sso:admin'] };
}

/** The field error of an answer refused because the token is not a session token. */
function refusedAsAuthorization(response: GraphQLResponse, what: string): void {
  assert.equal(response.body.data ?? null, null, `${what}: no data (${JSON.stringify(response.body)})`);
  const error = response.body.errors?.[0];
  assert.equal(error?.extensions?.code, 'UNAUTHENTICATED', what);
  assert.equal(error?.extensions?.reason, 'TOKEN_TYPE_INVALID', what);
  assert.match(error?.message ?? '', /session token is required/, what);
}

/**
 * An authorization token is handed to every subgraph; one that leaked there (a compromised or
 * careless subgraph, a log) must not list, revoke or end sessions, nor change the password.
 */
describe('security: session management takes a session token', () => {
  let sso: TestIdentity;
  let userId: string;
  let otherId: string;

  before(async () => {
    sso = await startIdentity({ createAuthorizationPayload: adminScope });
    userId = (await sso.createUser('sam', 'sam-password')).id;
    otherId = (await sso.createUser('tess', 'tess-password')).id;
  });
  after(() => sso.close());

  const authorizationFor = async (session: string) => (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;

  it('me answers with either token (control)', async () => {
    const session = await sso.login('sam', 'sam-password', { clientId: 'me' });
    const authorization = await authorizationFor(session);
    for (const token of [session, authorization]) {
      assert.deepEqual((await sso.graphql(ME, { token })).body, { data: { me: { username: 'sam' } } });
    }
  });

  it('an authorization token cannot list sessions: mySessions, sessions(userId)', async () => {
    const session = await sso.login('sam', 'sam-password', { clientId: 'list' });
    const authorization = await authorizationFor(session);
    refusedAsAuthorization(await sso.graphql(MY_SESSIONS, { token: authorization }), 'mySessions');
    refusedAsAuthorization(await sso.graphql(`{ sessions(userId: "${userId}") { id } }`, { token: authorization }), 'own sessions');
    refusedAsAuthorization(
      await sso.graphql(`{ sessions(userId: "${otherId}") { id } }`, { token: authorization }),
      "another user's, with the admin scope",
    );
    const listed = await sso.graphql(MY_SESSIONS, { token: session });
    assert.ok((listed.body.data?.mySessions as unknown[]).length >= 1, 'the session token lists them (control)');
  });

  it('an authorization token cannot revoke a session, its own or another', async () => {
    const session = await sso.login('sam', 'sam-password', { clientId: 'revoke' });
    const other = await sso.login('tess', 'tess-password', { clientId: 'victim' });
    const authorization = await authorizationFor(session);
    refusedAsAuthorization(await sso.graphql('mutation { revokeSession }', { token: authorization }), 'revokeSession()');
    refusedAsAuthorization(
      await sso.graphql(`mutation { revokeSession(id: "${payloadOf(session).sid}") }`, { token: authorization }),
      'revokeSession(own id)',
    );
    refusedAsAuthorization(
      await sso.graphql(`mutation { revokeSession(id: "${payloadOf(other).sid}") }`, { token: authorization }),
      'revokeSession(another user, with the admin scope)',
    );
    for (const token of [session, other]) assert.equal((await sso.graphql(ME, { token })).status, 200, 'nothing was revoked');
  });

  it('an authorization token cannot revoke all sessions', async () => {
    const session = await sso.login('sam', 'sam-password', { clientId: 'all' });
    const other = await sso.login('tess', 'tess-password', { clientId: 'victim-all' });
    const authorization = await authorizationFor(session);
    refusedAsAuthorization(await sso.graphql('mutation { revokeAllSessions }', { token: authorization }), 'revokeAllSessions');
    refusedAsAuthorization(
      await sso.graphql('mutation { revokeAllSessions(exceptCurrent: true) }', { token: authorization }),
      'revokeAllSessions(exceptCurrent)',
    );
    refusedAsAuthorization(
      await sso.graphql(`mutation { revokeAllSessions(userId: "${otherId}") }`, { token: authorization }),
      'revokeAllSessions(another user, with the admin scope)',
    );
    for (const token of [session, other]) assert.equal((await sso.graphql(ME, { token })).status, 200, 'nothing was revoked');
    const revoked = await sso.graphql('mutation { revokeAllSessions(exceptCurrent: true) }', { token: session });
    assert.equal(typeof revoked.body.data?.revokeAllSessions, 'number', 'the session token may (control)');
  });

  it('an authorization token cannot change the password', async () => {
    const session = await sso.login('sam', 'sam-password', { clientId: 'password' });
    const authorization = await authorizationFor(session);
    const change = await sso.graphql('mutation { changePassword(currentPassword: "sam-password", newPassword: "taken-over") { token } }', {
      token: authorization,
    });
    refusedAsAuthorization(change, 'changePassword');
    assert.equal((await sso.graphql(ME, { token: session })).status, 200, 'nothing was revoked');
    assert.ok(await sso.login('sam', 'sam-password'), 'the password did not change');
  });
});
