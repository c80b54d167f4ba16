import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArgsType, Field, ID } from 'type-graphql';
import { createAuthorizationPayload } from '../../src/jwt/payloads.js';
import { ForbiddenError } from '../../src/errors.js';
import { SessionToken } from '../../src/identity/entities/session-token.js';
import type { PayloadInput } from '../../src/config/settings.js';
import { headerOf, LOGIN, payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const ME = '{ me { id username email } }';

describe('identity service: session and authorization tokens', () => {
  let sso: TestIdentity;
  let alice: { id: string };

  before(async () => {
    sso = await startIdentity();
    alice = await sso.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    await sso.createUser('mallory', 'mallory-password', { isActive: false });
  });
  after(() => sso.close());

  it('logs in and returns a session token with the documented claims', async () => {
    const token = await sso.login('alice', 'alice-password', { clientId: 'web' });
    const header = headerOf(token);
    assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: 'myapp-20200410' });
    const payload = payloadOf(token);
    assert.equal(payload.token, 'session');
    assert.equal(payload.iss, 'myapp');
    assert.deepEqual(payload.aud, ['myapp']);
    assert.equal(payload.uid, alice.id);
    assert.equal(payload.cid, 'web');
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(typeof payload.sid, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.equal(payload.exp, undefined, 'session tokens do not expire by default');
  });

  it('answers wrong credentials the same way for an unknown user, a wrong password and an inactive user', async () => {
    const attempts = [
      ['nobody', 'whatever'],
      ['alice', 'wrong-password'],
      ['mallory', 'mallory-password'],
      ['', ''],
    ];
    const answers = [];
    for (const [username, password] of attempts) {
      const res = await sso.graphql(LOGIN, { variables: { username, password } });
      answers.push({
        status: res.status,
        data: res.body.data,
        errors: res.body.errors?.map((e) => ({ message: e.message, code: e.extensions?.code, reason: e.extensions?.reason })),
      });
    }
    for (const answer of answers) {
      assert.deepEqual(answer, {
        status: 200,
        data: null,
        errors: [{ message: 'Unable to log in with provided credentials.', code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' }],
      });
    }
  });

  it('reuses the active session of the same user, client id and user agent', async () => {
    const first = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'cli', headers: { 'user-agent': 'agent/1' } }));
    const second = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'cli', headers: { 'user-agent': 'agent/1' } }));
    const otherAgent = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'cli', headers: { 'user-agent': 'agent/2' } }));
    const otherClient = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'mobile', headers: { 'user-agent': 'agent/1' } }));
    assert.equal(second.sid, first.sid);
    assert.notEqual(otherAgent.sid, first.sid);
    assert.notEqual(otherClient.sid, first.sid);
    const row = await sso.db.orm.em.fork().findOneOrFail(SessionToken, { id: first.sid });
    assert.equal(row.version, 2);
    assert.equal(row.userAgent, 'agent/1');
    assert.equal(row.ipAddress, '127.0.0.1');
  });

  it('does not reuse a revoked session', async () => {
    const first = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'reuse-revoked' }));
    await sso.revokeInDatabase(first.sid);
    const second = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'reuse-revoked' }));
    assert.notEqual(second.sid, first.sid);
  });

  it('mints an authorization token that lives 300 seconds and carries the session', async () => {
    const session = await sso.login('alice', 'alice-password');
    const res = await sso.mint(session);
    assert.equal(res.status, 200);
    const token = res.body.data!.obtainAuthorizationToken.token as string;
    const payload = payloadOf(token);
    assert.equal(payload.token, 'auth');
    assert.equal(payload.sid, payloadOf(session).sid);
    assert.equal(payload.uid, alice.id);
    assert.equal(payload.iss, 'myapp');
    assert.deepEqual(payload.aud, ['myapp']);
    assert.equal(payload.exp - payload.iat, 300);
    assert.equal(headerOf(token).kid, 'myapp-20200410');
  });

  it('authenticates `me` with a session token and with an authorization token', async () => {
    const session = await sso.login('alice', 'alice-password');
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    for (const token of [session, auth]) {
      const res = await sso.graphql(ME, { token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, { me: { id: alice.id, username: 'alice', email: 'alice@example.com' } });
    }
  });

  it('answers `me` with null for an anonymous request', async () => {
    const res = await sso.graphql(ME);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { me: null });
  });

  it('refuses to mint with an authorization token', async () => {
    const session = await sso.login('alice', 'alice-password');
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    const res = await sso.mint(auth);
    assert.equal(res.body.data, null);
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'TOKEN_TYPE_INVALID');
    assert.match(res.body.errors![0]!.message, /session token is required/);
  });

  it('refuses to mint anonymously', async () => {
    const res = await sso.mint('');
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'NOT_AUTHENTICATED');
  });

  it('refuses every token of a revoked session with HTTP 401', async () => {
    const session = await sso.login('alice', 'alice-password', { clientId: 'to-revoke' });
    const auth = (await sso.mint(session)).body.data!.obtainAuthorizationToken.token as string;
    await sso.revokeInDatabase(payloadOf(session).sid);
    for (const res of [await sso.graphql(ME, { token: session }), await sso.graphql(ME, { token: auth }), await sso.mint(session)]) {
      assert.equal(res.status, 401);
      assert.equal(res.body.data, undefined);
      assert.deepEqual(
        res.body.errors?.map((e) => [e.message, e.extensions?.code, e.extensions?.reason]),
        [['Session has been revoked.', 'UNAUTHENTICATED', 'SESSION_REVOKED']],
      );
      assert.equal(res.headers.get('www-authenticate'), 'JWT realm="api"');
    }
  });

  it('refuses the tokens of a user deactivated after logging in', async () => {
    const bob = await sso.createUser('bob', 'bob-password');
    const session = await sso.login('bob', 'bob-password');
    await sso.db.orm.em.fork().nativeUpdate('User', { id: bob.id }, { isActive: false });
    const res = await sso.graphql(ME, { token: session });
    assert.equal(res.status, 401);
    assert.equal(res.body.errors?.[0]?.message, 'User inactive or deleted.');
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'USER_INACTIVE');
  });
});

@ArgsType()
class AccountArgs {
  @Field(() => ID)
  account!: string;
}

describe('identity service: custom authorization claims from an ArgsType', () => {
  let sso: TestIdentity;
  const memberships: Record<string, string[]> = {};

  before(async () => {
    sso = await startIdentity({
      authorizationArgs: AccountArgs,
      authorizationExpiration: 900,
      createAuthorizationPayload: (input: PayloadInput<AccountArgs>) => {
        if (!memberships[String(input.user.id)]?.includes(input.args.account)) {
          throw new ForbiddenError(`You are not a member of account ${input.args.account}.`);
        }
        if (input.args.account === '43') return { ...createAuthorizationPayload(input), account: '43', scopes: ['a'], scope: 'b c' };
        return { ...createAuthorizationPayload(input), account: input.args.account, scopes: ['accounts:read', 'accounts:write'] };
      },
    });
    const carol = await sso.createUser('carol', 'carol-password');
    memberships[carol.id] = ['42', '43'];
  });
  after(() => sso.close());

  it('adds the argument to the schema and the claim to the token', async () => {
    const session = await sso.login('carol', 'carol-password');
    const res = await sso.mint(session, 'account: "42"');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const payload = payloadOf(res.body.data!.obtainAuthorizationToken.token);
    assert.equal(payload.account, '42');
    assert.deepEqual(payload.scopes, ['accounts:read', 'accounts:write']);
    assert.equal(payload.scope, 'accounts:read accounts:write', 'the same scopes, space-separated, as gateways read them');
    assert.equal(payload.token, 'auth');
    assert.equal(payload.exp - payload.iat, 900);
  });

  it('keeps a `scope` claim the payload function sets itself', async () => {
    const session = await sso.login('carol', 'carol-password');
    const payload = payloadOf((await sso.mint(session, 'account: "43"')).body.data!.obtainAuthorizationToken.token);
    assert.deepEqual([payload.scopes, payload.scope], [['a'], 'b c']);
  });

  it('answers FORBIDDEN when the payload function refuses', async () => {
    const session = await sso.login('carol', 'carol-password');
    const res = await sso.mint(session, 'account: "7"');
    assert.equal(res.body.data, null);
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(res.body.errors?.[0]?.message, 'You are not a member of account 7.');
  });

  it('validates the arguments with GraphQL: a missing account is a validation error', async () => {
    const session = await sso.login('carol', 'carol-password');
    const res = await sso.mint(session);
    assert.equal(res.status, 400);
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(res.body.errors![0]!.message, /argument "account" of type "ID!" is required/);
  });
});
