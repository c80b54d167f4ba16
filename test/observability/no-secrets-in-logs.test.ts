import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createSsoLogger, LOG_REDACT_PATHS } from '../../src/index.js';
import { REDACTED } from '../../src/observability/logger.js';
import { User } from '../../src/identity-exports.js';
import { captureLogs, type LogCapture } from '../support/logs.js';
import { LOGIN, startIdentity, type TestIdentity } from '../support/identity.js';

const PASSWORD = 'alice-S3cret-password';
const WRONG_PASSWORD = 'wrong-S3cret-password';
const NEW_PASSWORD = 'new-S3cret-password';
const NUMERIC_PASSWORD = 987654321987;
const CHANGE_PASSWORD = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }';

function post(origin: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('logs of the identity service, at trace, hold no secret', () => {
  let sso: TestIdentity;
  let logs: LogCapture;
  const secrets = new Map<string, string>();
  const requestIds = new Set<string>();
  let startupLines = 0;

  const track = (what: string, token: unknown) => {
    assert.equal(typeof token, 'string', what);
    secrets.set(what, token as string);
    // A token cut anywhere: its signature alone is enough to forge nothing, but is still the token.
    secrets.set(`${what} (signature)`, (token as string).split('.')[2]!);
    return token as string;
  };
  const seen = (res: Response | { headers: Headers }) => requestIds.add(res.headers.get('x-request-id')!);

  before(async () => {
    logs = captureLogs();
    sso = await startIdentity({}, { logger: logs.logger });
    await sso.createUser('alice', PASSWORD);
    startupLines = logs.lines().length;
    secrets
      .set('password', PASSWORD)
      .set('wrong password', WRONG_PASSWORD)
      .set('new password', NEW_PASSWORD)
      .set('numeric password', String(NUMERIC_PASSWORD));

    const login = await sso.graphql(LOGIN, { variables: { username: 'alice', password: PASSWORD } });
    seen(login);
    const session = track('session token', login.body.data?.obtainSessionToken.token);
    for (const variables of [
      { username: 'alice', password: WRONG_PASSWORD },
      { username: 'nobody', password: PASSWORD },
      { username: 'alice', password: NUMERIC_PASSWORD },
      { username: 'alice', password: PASSWORD, clientId: 'x'.repeat(1001) },
    ]) {
      const res = await sso.graphql(LOGIN, { variables });
      assert.ok(res.body.errors?.length, JSON.stringify(res.body));
      seen(res);
    }
    const literal = await sso.graphql(`mutation { obtainSessionToken(username: "alice", password: "${WRONG_PASSWORD}") { token } }`);
    assert.equal(literal.body.errors?.[0]?.extensions?.reason, 'INVALID_CREDENTIALS');
    seen(literal);

    const mint = await sso.mint(session);
    seen(mint);
    const auth = track('authorization token', mint.body.data?.obtainAuthorizationToken.token);
    for (const token of [session, auth]) {
      const me = await sso.graphql('{ me { username } }', { token });
      assert.equal(me.body.data?.me.username, 'alice');
      seen(me);
    }
    const [h, p, s] = session.split('.');
    const tampered = track('tampered token', `${h}.${p}.${s!.slice(0, -4)}AAAA`);
    const refused = await sso.graphql('{ me { username } }', { token: tampered });
    assert.equal(refused.status, 401);
    seen(refused);
    const minted = await sso.mint(auth);
    assert.equal(minted.body.errors?.[0]?.extensions?.reason, 'TOKEN_TYPE_INVALID');
    seen(minted);

    const rest = await post(sso.origin, '/session/', { username: 'alice', password: PASSWORD, client_id: 'rest' });
    seen(rest);
    const restSession = track('REST session token', ((await rest.json()) as { token: string }).token);
    const restWrong = await post(sso.origin, '/session/', { username: 'alice', password: WRONG_PASSWORD });
    assert.equal(restWrong.status, 400);
    seen(restWrong);
    const authorize = await post(sso.origin, '/authorize/', {}, { authorization: `JWT ${restSession}` });
    seen(authorize);
    track('REST authorization token', ((await authorize.json()) as { token: string }).token);
    const restRefused = await post(sso.origin, '/authorize/', {}, { authorization: `JWT ${tampered}`, cookie: 'sessionid=cookie-S3cret' });
    assert.equal(restRefused.status, 401);
    seen(restRefused);
    secrets.set('cookie', 'cookie-S3cret');

    const wrongCurrent = await sso.graphql(CHANGE_PASSWORD, { variables: { c: WRONG_PASSWORD, n: NEW_PASSWORD }, token: session });
    assert.equal(wrongCurrent.body.errors?.[0]?.extensions?.reason, 'INVALID_CREDENTIALS');
    seen(wrongCurrent);
    const changed = await sso.graphql(CHANGE_PASSWORD, { variables: { c: PASSWORD, n: NEW_PASSWORD }, token: session });
    seen(changed);
    track('token after changing the password', changed.body.data?.changePassword.token);

    // Access lines are written when responses close.
    for (let attempt = 0; attempt < 100 && accessLineIds().size < requestIds.size; attempt++) await new Promise((r) => setTimeout(r, 10));
  });
  after(() => sso.close());

  const accessLineIds = () =>
    new Set(
      logs
        .lines()
        .filter((l) => l.msg === 'request completed')
        .map((l) => l.requestId),
    );

  it('never log a password, a token or a password hash', async () => {
    const stored = await sso.db.orm.em.fork().findOneOrFail(User, { username: 'alice' });
    secrets.set('password hash', stored.passwordHash);
    // bcrypt: "$2b$04$" + 22 characters of salt + 31 of hash.
    secrets.set('hash digest', stored.passwordHash.slice(29));
    const text = logs.text();
    assert.ok(text.length > 0);
    for (const [what, secret] of secrets) assert.ok(!text.includes(secret), `the logs contain the ${what}`);
  });

  it('carry the request id on every line logged while serving a request', () => {
    assert.equal(requestIds.size, 17, 'one id per request');
    assert.deepEqual([...accessLineIds()].sort(), [...requestIds].sort());
    const served = logs.lines().slice(startupLines);
    assert.ok(served.length > requestIds.size, 'more than the access lines were logged');
    for (const line of served) assert.ok(typeof line.requestId === 'string' && requestIds.has(line.requestId), JSON.stringify(line));
  });
});

describe('createSsoLogger', () => {
  it('censors credentials a hook or plugin might log', () => {
    let out = '';
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        out += chunk;
        done();
      },
    });
    const logger = createSsoLogger({ level: 'trace' }, sink);
    logger.info(
      {
        req: { headers: { authorization: 'JWT header-token', cookie: 'sid=cookie-value', 'user-agent': 'kept-agent' } },
        variables: { username: 'kept-user', password: 'variable-password', newPassword: 'new-one' },
        password: 'top-password',
        token: 'top-token',
        passwordHash: '$2b$12$hash',
        user: { passwordHash: '$2b$12$nested-hash' },
      },
      'a request',
    );
    const line = JSON.parse(out) as Record<string, any>;
    for (const secret of [
      'header-token',
      'cookie-value',
      'variable-password',
      'new-one',
      'top-password',
      'top-token',
      '$2b$12$hash',
      'nested-hash',
    ]) {
      assert.ok(!out.includes(secret), secret);
    }
    assert.equal(line.req.headers.authorization, REDACTED);
    assert.equal(line.variables.password, REDACTED);
    assert.equal(line.user.passwordHash, REDACTED);
    assert.equal(line.req.headers['user-agent'], 'kept-agent');
    assert.equal(line.variables.username, 'kept-user');
    assert.ok(LOG_REDACT_PATHS.includes('*.password'));
  });
});

describe('database errors', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity();
  });
  after(() => sso.close());

  it('tell what the database said, without the statement and the values bound into it', async () => {
    const error = await sso.db.orm.em
      .getConnection()
      .execute('select 1 / 0 where ? = ?', ['bound-S3cret', 'x'])
      .then(
        () => assert.fail('the query should fail'),
        (e: Error) => e,
      );
    assert.equal(error.message, 'division by zero');
    assert.ok(!String(error.stack).includes('bound-S3cret'));
    assert.equal((error as Error & { code?: string }).code, '22012');
  });
});
