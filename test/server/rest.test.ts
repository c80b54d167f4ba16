import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { createAuthorizationPayload, ForbiddenError, type PayloadInput } from '../../src/index.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

@ArgsType()
class AccountArgs {
  @Field(() => ID)
  account!: string;

  @Field(() => Int, { nullable: true })
  days?: number;
}

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

describe('drop-in REST endpoints of django-rest-framework-sso', () => {
  let sso: TestIdentity;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const response = await fetch(`${sso.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };
  const login = async (body: Record<string, unknown> = { username: 'alice', password: 'alice-password' }, headers = {}) => {
    const reply = await post('/session/', body, headers);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.token as string;
  };

  before(async () => {
    sso = await startIdentity({
      authorizationArgs: AccountArgs,
      createAuthorizationPayload: (input: PayloadInput<AccountArgs>) => {
        if (input.args.account !== '1') throw new ForbiddenError(`You are not a member of account ${input.args.account}.`);
        return { ...createAuthorizationPayload(input), account: input.args.account, ...(input.args.days ? { days: input.args.days } : {}) };
      },
    });
    await sso.createUser('alice', 'alice-password', { email: 'alice@example.com' });
  });
  after(() => sso.close());

  it('POST /session/ answers {"token"} with the session token GraphQL gives', async () => {
    const reply = await post('/session/', { username: 'alice', password: 'alice-password', client_id: 'legacy-app' });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.body), ['token']);
    const claims = payloadOf(reply.body.token);
    assert.equal(claims.token, 'session');
    assert.equal(claims.cid, 'legacy-app');
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.iss, 'myapp');
  });

  it('shares sessions with GraphQL logins (same user, client id and user agent)', async () => {
    const headers = { 'user-agent': 'legacy/1.0' };
    const rest = await login({ username: 'alice', password: 'alice-password', client_id: 'shared' }, headers);
    const graphql = await sso.login('alice', 'alice-password', { clientId: 'shared', headers });
    assert.equal(payloadOf(rest).sid, payloadOf(graphql).sid);
  });

  it('accepts a form body, as DRF does', async () => {
    const reply = await post('/session', 'username=alice&password=alice-password', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(reply.status, 200);
    assert.equal(payloadOf(reply.body.token).token, 'session');
  });

  it('refuses wrong credentials like DRF: 400 non_field_errors, the same for an unknown user', async () => {
    for (const body of [{ username: 'alice', password: 'wrong' }, { username: 'nobody', password: 'alice-password' }]) {
      const reply = await post('/session/', body);
      assert.equal(reply.status, 400);
      assert.deepEqual(reply.body, { non_field_errors: ['Unable to log in with provided credentials.'] });
    }
  });

  it('names missing fields: 400 {"field": ["This field is required."]}', async () => {
    assert.deepEqual((await post('/session/', { password: 'x' })).body, { username: ['This field is required.'] });
    const reply = await post('/session/', { username: 'alice' });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body, { password: ['This field is required.'] });
  });

  it('refuses malformed bodies, other methods and media types with DRF’s statuses', async () => {
    const bad = await post('/session/', '{"username":');
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /^JSON parse error - /);
    const list = await post('/session/', '[1]');
    assert.equal(list.status, 400);
    assert.deepEqual(list.body, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    const text = await post('/session/', 'username=alice', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.deepEqual(text.body, { detail: 'Unsupported media type "text/plain" in request.' });
    const get = await fetch(`${sso.origin}/authorize/`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.deepEqual(await get.json(), { detail: 'Method "GET" not allowed.' });
    const big = await post('/session/', { username: 'alice', password: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(big.status, 413);
  });

  it('POST /authorize/ mints an authorization token from a session token, with the ArgsType fields', async () => {
    const session = await login();
    const reply = await post('/authorize/', { account: '1', days: 3, unknown: 'ignored' }, { authorization: `JWT ${session}` });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const claims = payloadOf(reply.body.token);
    assert.equal(claims.token, 'auth');
    assert.equal(claims.account, '1');
    assert.equal(claims.days, 3);
    assert.equal(claims.sid, payloadOf(session).sid);
    assert.equal(claims.exp - claims.iat, 300);
  });

  it('validates the fields by their GraphQL types', async () => {
    const session = await login();
    const auth = { authorization: `JWT ${session}` };
    assert.deepEqual((await post('/authorize/', {}, auth)).body, { account: ['This field is required.'] });
    const days = await post('/authorize/', { account: '1', days: 'soon' }, auth);
    assert.equal(days.status, 400);
    assert.match(days.body.days[0], /Int cannot represent non-integer value/);
    const forbidden = await post('/authorize/', { account: '2' }, auth);
    assert.equal(forbidden.status, 403);
    assert.deepEqual(forbidden.body, { detail: 'You are not a member of account 2.' });
  });

  it('refuses missing, invalid, authorization and revoked tokens with 401 {"detail"}', async () => {
    const none = await post('/authorize/', { account: '1' });
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { detail: 'Authentication credentials were not provided.' });
    assert.equal(none.headers.get('www-authenticate'), 'JWT realm="api"');

    const garbage = await post('/authorize/', { account: '1' }, { authorization: 'JWT not-a-token' });
    assert.equal(garbage.status, 401);
    assert.match(garbage.body.detail, /^Error decoding token/);

    const session = await login();
    const auth = (await post('/authorize/', { account: '1' }, { authorization: `JWT ${session}` })).body.token;
    const chained = await post('/authorize/', { account: '1' }, { authorization: `JWT ${auth}` });
    assert.equal(chained.status, 401);
    assert.match(chained.body.detail, /authorization token cannot obtain further tokens/);

    await sso.revokeInDatabase(payloadOf(session).sid);
    const revoked = await post('/authorize/', { account: '1' }, { authorization: `JWT ${session}` });
    assert.equal(revoked.status, 401);
    assert.deepEqual(revoked.body, { detail: 'Session has been revoked.' });
  });
});
