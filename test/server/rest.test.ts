import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { createAuthorizationPayload, ForbiddenError, type PayloadInput } from '../../src/index.js';
import type { UnsignedPayload } from '../../src/jwt/claims.js';
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

const MY_SESSIONS = '{ mySessions { id ipAddress userAgent current } }';
const REQUIRED = ['This field is required.'];
const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] };

/** Sends a request to one of the REST endpoints; `body` as is when a string, else as JSON. */
async function send(origin: string, path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<Reply> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe('drop-in REST endpoints of django-rest-framework-sso', () => {
  let sso: TestIdentity;
  const logs: string[] = [];

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => send(sso.origin, path, body, headers);
  const login = async (body: Record<string, unknown> = { username: 'alice', password: 'alice-password' }, headers = {}) => {
    const reply = await post('/session/', body, headers);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.token as string;
  };
  const authorize = (token: string, body: unknown = { account: '1' }, headers: Record<string, string> = {}) =>
    post('/authorize/', body, { authorization: `JWT ${token}`, ...headers });
  /** A 401 in DRF's shape, with the challenge of the `authenticateHeader` scheme. */
  const assertUnauthorized = (reply: Reply, detail: string | RegExp) => {
    assert.equal(reply.status, 401, JSON.stringify(reply.body));
    assert.deepEqual(Object.keys(reply.body), ['detail']);
    if (typeof detail === 'string') assert.equal(reply.body.detail, detail);
    else assert.match(reply.body.detail, detail);
    assert.equal(reply.headers.get('www-authenticate'), 'JWT realm="api"');
  };

  before(async () => {
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
    sso = await startIdentity(
      {
        authorizationArgs: AccountArgs,
        createAuthorizationPayload: (input: PayloadInput<AccountArgs>) => {
          if (input.args.account === 'boom') throw new Error('the payload hook failed');
          if (input.args.account !== '1') throw new ForbiddenError(`You are not a member of account ${input.args.account}.`);
          return {
            ...createAuthorizationPayload(input),
            account: input.args.account,
            ...(input.args.days ? { days: input.args.days } : {}),
          };
        },
      },
      { logger },
    );
    await sso.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    await sso.createUser('mallory', 'mallory-password', { isActive: false });
  });
  after(() => sso.close());

  describe('POST /session/', () => {
    it('answers 200 {"token"}: the session token GraphQL gives, with the same claims', async () => {
      const headers = { 'user-agent': 'claims/1.0' };
      const reply = await post('/session/', { username: 'alice', password: 'alice-password', client_id: 'legacy-app' }, headers);
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, { token: reply.body.token });
      assert.equal(reply.headers.get('allow'), 'POST, OPTIONS');
      const rest = payloadOf(reply.body.token);
      const graphql = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'legacy-app', headers }));
      assert.deepEqual(Object.keys(rest).sort(), Object.keys(graphql).sort());
      assert.deepEqual({ ...rest, iat: 0 }, { ...graphql, iat: 0 });
      assert.equal(rest.token, 'session');
      assert.equal(rest.cid, 'legacy-app');
      assert.equal(rest.email, 'alice@example.com');
      assert.equal(rest.iss, 'myapp');
      assert.equal(rest.exp, undefined);
    });

    it('shares sessions with GraphQL logins: same user, client id and user agent; another agent, another session', async () => {
      const headers = { 'user-agent': 'legacy/1.0' };
      const rest = payloadOf(await login({ username: 'alice', password: 'alice-password', client_id: 'shared' }, headers));
      const graphql = payloadOf(await sso.login('alice', 'alice-password', { clientId: 'shared', headers }));
      assert.equal(rest.sid, graphql.sid);
      const again = payloadOf(await login({ username: 'alice', password: 'alice-password', client_id: 'shared' }, headers));
      assert.equal(again.sid, rest.sid);
      const otherAgent = payloadOf(
        await login({ username: 'alice', password: 'alice-password', client_id: 'shared' }, { 'user-agent': 'legacy/2.0' }),
      );
      assert.notEqual(otherAgent.sid, rest.sid);
      const otherClient = payloadOf(await login({ username: 'alice', password: 'alice-password', client_id: 'other' }, headers));
      assert.notEqual(otherClient.sid, rest.sid);
    });

    it('records the address as GraphQL does: X-Forwarded-For is ignored without trustProxy', async () => {
      const token = await login(
        { username: 'alice', password: 'alice-password', client_id: 'ip-check' },
        { 'x-forwarded-for': '203.0.113.7' },
      );
      const sessions = (await sso.graphql(MY_SESSIONS, { token })).body.data!.mySessions as Record<string, any>[];
      assert.equal(sessions.find((s) => s.current)!.ipAddress, '127.0.0.1');
    });

    it('accepts a form and a multipart form, as DRF does', async () => {
      const form = await post('/session', 'username=alice&password=alice-password&client_id=form', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(form.status, 200);
      assert.equal(payloadOf(form.body.token).cid, 'form');
      const multipart = new FormData();
      multipart.set('username', 'alice');
      multipart.set('password', 'alice-password');
      const response = await fetch(`${sso.origin}/session/`, { method: 'POST', body: multipart });
      assert.equal(response.status, 200);
      assert.equal(payloadOf(((await response.json()) as { token: string }).token).token, 'session');
    });

    it('refuses wrong credentials like DRF: 400 non_field_errors, the same for an unknown user and an inactive one', async () => {
      for (const body of [
        { username: 'alice', password: 'wrong' },
        { username: 'nobody', password: 'alice-password' },
        { username: 'mallory', password: 'mallory-password' },
      ]) {
        const reply = await post('/session/', body);
        assert.equal(reply.status, 400);
        assert.deepEqual(reply.body, BAD_CREDENTIALS);
        assert.equal(reply.headers.get('www-authenticate'), null);
      }
    });

    it('checks its fields as DRF’s CharFields: every field’s errors at once, in DRF’s words', async () => {
      const cases: [unknown, number, Record<string, string[]>][] = [
        [{}, 400, { username: REQUIRED, password: REQUIRED }],
        [{ password: 'x' }, 400, { username: REQUIRED }],
        [{ username: 'alice' }, 400, { password: REQUIRED }],
        [
          { username: '   ', password: '' },
          400,
          { username: ['This field may not be blank.'], password: ['This field may not be blank.'] },
        ],
        [{ username: null, password: 'x' }, 400, { username: ['This field may not be null.'] }],
        [{ username: true, password: ['x'] }, 400, { username: ['Not a valid string.'], password: ['Not a valid string.'] }],
        [{ username: 'al\u0000ice', password: 'x' }, 400, { username: ['Null characters are not allowed.'] }],
        [
          { username: 'alice', password: 'alice-password', client_id: 'c'.repeat(1001) },
          400,
          { client_id: ['Ensure this field has no more than 1000 characters.'] },
        ],
        [{ username: 'alice', password: 'alice-password', client_id: 7 }, 200, {}],
      ];
      for (const [body, status, errors] of cases) {
        const reply = await post('/session/', body);
        assert.equal(reply.status, status, JSON.stringify(body));
        if (status === 400) assert.deepEqual(reply.body, errors, JSON.stringify(body));
      }
      // The username is trimmed, as DRF does; the password is taken as sent.
      assert.equal(payloadOf(await login({ username: ' alice ', password: 'alice-password' })).token, 'session');
      assert.deepEqual((await post('/session/', { username: 'alice', password: ' alice-password' })).body, BAD_CREDENTIALS);
      // A number is text to a CharField; null is no client id.
      assert.equal(payloadOf(await login({ username: 'alice', password: 'alice-password', client_id: 7 })).cid, '7');
      assert.equal(payloadOf(await login({ username: 'alice', password: 'alice-password', client_id: null })).cid, undefined);
    });

    it('refuses a present but invalid Authorization header with 401, as GraphQL does', async () => {
      assertUnauthorized(
        await post('/session/', { username: 'alice', password: 'alice-password' }, { authorization: 'JWT not-a-token' }),
        'Error decoding signature.',
      );
      assertUnauthorized(
        await post('/session/', { username: 'alice', password: 'alice-password' }, { authorization: 'JWT' }),
        'Invalid token header. No credentials provided.',
      );
    });
  });

  describe('requests DRF refuses', () => {
    it('malformed JSON, a body that is not an object, another media type: 400, 400, 415', async () => {
      const bad = await post('/session/', '{"username":');
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body), ['detail']);
      assert.match(bad.body.detail, /^JSON parse error - /);
      const list = await post('/session/', '[1]');
      assert.equal(list.status, 400);
      assert.deepEqual(list.body, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
      const text = await post('/session/', 'username=alice', { 'content-type': 'text/plain' });
      assert.equal(text.status, 415);
      assert.deepEqual(text.body, { detail: 'Unsupported media type "text/plain" in request.' });
      const session = await login();
      const badAuthorize = await authorize(session, '{"account": 1');
      assert.equal(badAuthorize.status, 400);
      assert.match(badAuthorize.body.detail, /^JSON parse error - /);
    });

    it('another method: 405 {"detail": "Method \\"GET\\" not allowed."} with Allow: POST, OPTIONS, on either path', async () => {
      for (const path of ['/session/', '/session', '/authorize/', '/authorize']) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const reply = await send(sso.origin, path, undefined, {}, method);
          assert.equal(reply.status, 405, `${method} ${path}`);
          assert.equal(reply.headers.get('allow'), 'POST, OPTIONS');
          assert.deepEqual(reply.body, { detail: `Method "${method}" not allowed.` });
        }
      }
      const head = await fetch(`${sso.origin}/session/`, { method: 'HEAD' });
      assert.equal(head.status, 405);
    });

    it('OPTIONS: DRF’s metadata of the view', async () => {
      const reply = await send(sso.origin, '/authorize/', undefined, {}, 'OPTIONS');
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('allow'), 'POST, OPTIONS');
      assert.equal(reply.body.name, 'Obtain Authorization Token');
      assert.deepEqual(reply.body.parses, ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      assert.equal((await send(sso.origin, '/session/', undefined, {}, 'OPTIONS')).body.name, 'Obtain Session Token');
    });

    it('a body over bodyLimit: 413', async () => {
      const big = await post('/session/', { username: 'alice', password: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(big.status, 413);
      assert.deepEqual(Object.keys(big.body), ['detail']);
    });
  });

  describe('POST /authorize/', () => {
    it('mints an authorization token from a session token with the ArgsType fields, as GraphQL does', async () => {
      const session = await login();
      const reply = await authorize(session, { account: '1', days: 3, unknown: 'ignored' });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(reply.body, { token: reply.body.token });
      const claims = payloadOf(reply.body.token);
      assert.equal(claims.token, 'auth');
      assert.equal(claims.account, '1');
      assert.equal(claims.days, 3);
      assert.equal(claims.unknown, undefined);
      assert.equal(claims.sid, payloadOf(session).sid);
      assert.equal(claims.exp - claims.iat, 300);
      const minted = await sso.mint(session, 'account: "1", days: 3');
      const graphql = payloadOf(minted.body.data!.obtainAuthorizationToken.token);
      assert.deepEqual({ ...claims, iat: 0, exp: 0 }, { ...graphql, iat: 0, exp: 0 });
    });

    it('takes the fields as DRF fields do: numbers and ids as text (forms too)', async () => {
      const session = await login();
      const json = await authorize(session, { account: 1, days: '3' });
      assert.equal(json.status, 200, JSON.stringify(json.body));
      assert.deepEqual([payloadOf(json.body.token).account, payloadOf(json.body.token).days], ['1', 3]);
      const form = await authorize(session, 'account=1&days=&other=x', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(form.status, 200, JSON.stringify(form.body));
      assert.equal(payloadOf(form.body.token).days, undefined);
    });

    it('checks the fields by the ArgsType: 400 in DRF’s shape, every field at once', async () => {
      const session = await login();
      const cases: [unknown, Record<string, string[]>][] = [
        [{}, { account: REQUIRED }],
        [{ days: 2 }, { account: REQUIRED }],
        [{ account: null }, { account: ['This field may not be null.'] }],
        [{ account: '' }, { account: ['This field may not be blank.'] }],
        [{ account: '1', days: 'soon' }, { days: ['A valid integer is required.'] }],
        [
          { account: true, days: 2.5 },
          { account: ['ID cannot represent value: true'], days: ['A valid integer is required.'] },
        ],
      ];
      for (const [body, errors] of cases) {
        const reply = await authorize(session, body);
        assert.equal(reply.status, 400, JSON.stringify(body));
        assert.deepEqual(reply.body, errors, JSON.stringify(body));
      }
    });

    it('answers a ForbiddenError of createAuthorizationPayload with 403 {"detail"}', async () => {
      const reply = await authorize(await login(), { account: '2' });
      assert.equal(reply.status, 403);
      assert.deepEqual(reply.body, { detail: 'You are not a member of account 2.' });
      assert.equal(reply.headers.get('www-authenticate'), null);
    });

    it('refuses no token with 401 before looking at the body', async () => {
      assertUnauthorized(await post('/authorize/', { account: '1' }), 'Authentication credentials were not provided.');
      assertUnauthorized(await post('/authorize/', {}), 'Authentication credentials were not provided.');
    });

    it('refuses invalid tokens with 401 and the original’s words', async () => {
      const session = await login();
      assertUnauthorized(await authorize('not-a-token'), 'Error decoding signature.');
      const [head, body] = session.split('.');
      assertUnauthorized(await authorize(`${head}.${body}.${'A'.repeat(342)}`), 'Error decoding signature.');
      assertUnauthorized(await post('/authorize/', { account: '1' }, { authorization: `Bearer ${session}` }), /^Invalid token header/);
      assertUnauthorized(
        await post('/authorize/', { account: '1' }, { authorization: `JWT ${session} extra` }),
        'Invalid token header. Token string should not contain spaces.',
      );

      const { settings, keys } = sso.service.services;
      const expired = await settings.encodeJwtToken({ ...payloadOf(session), exp: Math.floor(Date.now() / 1000) - 60 } as UnsignedPayload, {
        settings,
        keys,
      });
      assertUnauthorized(await authorize(expired), 'Signature has expired.');
      const foreign = await settings.encodeJwtToken({ ...payloadOf(session), aud: ['otherapp'] } as UnsignedPayload, { settings, keys });
      assertUnauthorized(await authorize(foreign), 'Incorrect authentication credentials.');
    });

    it('refuses an authorization token with 401, even before checking the fields: only session tokens mint', async () => {
      const auth = (await authorize(await login())).body.token as string;
      assertUnauthorized(await authorize(auth), /authorization token cannot obtain further tokens/);
      assertUnauthorized(await authorize(auth, {}), /authorization token cannot obtain further tokens/);
    });

    it('refuses the token of a revoked session with 401 {"detail": "Invalid token."}', async () => {
      const session = await login({ username: 'alice', password: 'alice-password', client_id: 'to-revoke' });
      assert.equal((await authorize(session)).status, 200);
      await sso.revokeInDatabase(payloadOf(session).sid);
      assertUnauthorized(await authorize(session), 'Invalid token.');
    });
  });

  describe('one token issuer behind GraphQL and REST', () => {
    it('refuses a client id the database cannot hold as bad input on both, never a 500', async () => {
      const clientId = 'c'.repeat(1001);
      const graphql = await sso.graphql(
        'mutation($c: String) { obtainSessionToken(username: "alice", password: "alice-password", clientId: $c) { token } }',
        { variables: { c: clientId } },
      );
      assert.equal(graphql.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.doesNotMatch(graphql.body.errors![0]!.message, /insert|select/);
      const withNul = await sso.graphql(
        'mutation($c: String) { obtainSessionToken(username: "alice", password: "alice-password", clientId: $c) { token } }',
        { variables: { c: 'a\u0000b' } },
      );
      assert.equal(withNul.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const nulUser = await sso.graphql(
        'mutation($u: String!) { obtainSessionToken(username: $u, password: "alice-password") { token } }',
        { variables: { u: 'al\u0000ice' } },
      );
      assert.equal(nulUser.body.errors?.[0]?.message, 'Unable to log in with provided credentials.');
      assert.equal((await post('/session/', { username: 'alice', password: 'alice-password', client_id: 'a\u0000b' })).status, 400);
    });

    it('answers a server error with 500 {"detail": "A server error occurred."}, and logs it without passwords or tokens', async () => {
      const session = await login({ username: 'alice', password: 'alice-password', client_id: 'logs' });
      const auth = (await authorize(session)).body.token as string;
      await post('/session/', { username: 'alice', password: 'secret-wrong-password' });
      await authorize(auth);
      const failed = await authorize(session, { account: 'boom' });
      assert.equal(failed.status, 500);
      assert.deepEqual(failed.body, { detail: 'A server error occurred.' });
      const text = logs.join('');
      assert.match(text, /REST request failed/);
      assert.match(text, /the payload hook failed/);
      for (const secret of ['alice-password', 'secret-wrong-password', session, auth, session.split('.')[2]!]) {
        assert.equal(text.includes(secret), false, 'a secret was logged');
      }
    });
  });
});

describe('POST /session/ behind a trusted proxy', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({ trustProxy: true });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  it('records the X-Forwarded-For client, as GraphQL does', async () => {
    const reply = await send(
      sso.origin,
      '/session/',
      { username: 'alice', password: 'alice-password' },
      { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' },
    );
    assert.equal(reply.status, 200);
    const sessions = (await sso.graphql(MY_SESSIONS, { token: reply.body.token })).body.data!.mySessions as Record<string, any>[];
    assert.equal(sessions.find((s) => s.current)!.ipAddress, '203.0.113.7');
  });
});
