import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSsoContext, encodeJwtToken, KeyStore, resolveSettings } from '../../src/index.js';
import { SsoMetrics } from '../../src/identity-exports.js';
import { createKeyDir } from '../support/keys.js';
import { scrape } from '../support/metrics.js';
import { LOGIN, startIdentity, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

function postSession(origin: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${origin}/session/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('GET /metrics of the identity service', () => {
  let sso: TestIdentity;
  let other: TestIdentity;

  before(async () => {
    [sso, other] = await Promise.all([startIdentity(), startIdentity()]);
    await sso.createUser('alice', 'alice-password');
    await other.createUser('bob', 'bob-password');
  });
  after(() => Promise.all([sso.close(), other.close()]));

  it('starts every counter of a fresh service at zero, in the text exposition format', async () => {
    const metrics = await scrape(other.origin);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.contentType, TEXT_FORMAT);
    assert.match(metrics.text, /^# HELP sso_tokens_issued_total Tokens issued, by type\.$/m);
    assert.match(metrics.text, /^# TYPE sso_tokens_issued_total counter$/m);
    assert.match(metrics.text, /^# TYPE sso_database_query_duration_seconds histogram$/m);
    for (const type of ['session', 'authorization']) assert.equal(metrics.value('sso_tokens_issued_total', { type }), 0);
    for (const outcome of ['success', 'invalid_credentials', 'throttled', 'error'])
      assert.equal(metrics.value('sso_logins_total', { outcome }), 0);
    for (const kind of ['username', 'ip']) assert.equal(metrics.value('sso_login_throttled_total', { kind }), 0);
    assert.equal(metrics.value('sso_token_verifications_total', { outcome: 'valid', reason: '' }), 0);
    assert.equal(metrics.value('sso_database_errors_total'), 0);
    // prom-client's process metrics, on the service's own registry.
    assert.ok(metrics.value('process_cpu_user_seconds_total')! >= 0);
    assert.ok(metrics.value('nodejs_heap_size_total_bytes')! > 0);
  });

  it('counts logins, issued tokens and verifications by outcome and reason, per service', async () => {
    const session = await sso.login('alice', 'alice-password');
    const wrong = await sso.graphql(LOGIN, { variables: { username: 'alice', password: 'wrong-password' } });
    assert.equal(wrong.body.errors?.[0]?.extensions?.reason, 'INVALID_CREDENTIALS');
    const unknown = await postSession(sso.origin, { username: 'nobody', password: 'alice-password' });
    assert.equal(unknown.status, 400);
    assert.equal((await postSession(sso.origin, { username: 'alice', password: 'alice-password' })).status, 200);
    assert.equal((await sso.mint(session)).status, 200);
    assert.equal((await sso.graphql(ME, { token: session })).status, 200);
    assert.equal((await sso.graphql(ME, { authorization: 'JWT not-a-token' })).status, 401);
    assert.equal((await sso.graphql(ME, { authorization: `Bearer ${session}` })).status, 401);
    assert.equal((await sso.graphql(ME)).status, 200);

    const metrics = await scrape(sso.origin);
    assert.equal(metrics.value('sso_logins_total', { outcome: 'success' }), 2);
    assert.equal(metrics.value('sso_logins_total', { outcome: 'invalid_credentials' }), 2);
    assert.equal(metrics.value('sso_logins_total', { outcome: 'error' }), 0);
    assert.equal(metrics.value('sso_tokens_issued_total', { type: 'session' }), 2);
    assert.equal(metrics.value('sso_tokens_issued_total', { type: 'authorization' }), 1);
    // The anonymous request presents no token: not a verification.
    assert.equal(metrics.value('sso_token_verifications_total', { outcome: 'valid', reason: '' }), 2);
    assert.equal(metrics.value('sso_token_verifications_total', { outcome: 'invalid', reason: 'TOKEN_MALFORMED' }), 1);
    assert.equal(metrics.value('sso_token_verifications_total', { outcome: 'invalid', reason: 'AUTH_HEADER_INVALID' }), 1);
    assert.ok(metrics.value('sso_database_query_duration_seconds_count')! > 0);
    assert.equal(metrics.value('sso_database_errors_total'), 0);

    // The other service in this process counted nothing of it.
    const untouched = await scrape(other.origin);
    assert.equal(untouched.value('sso_logins_total', { outcome: 'success' }), 0);
    assert.equal(untouched.value('sso_tokens_issued_total', { type: 'session' }), 0);
    await other.login('bob', 'bob-password');
    assert.equal((await scrape(other.origin)).value('sso_logins_total', { outcome: 'success' }), 1);
    assert.equal((await scrape(sso.origin)).value('sso_logins_total', { outcome: 'success' }), 2);
  });

  it('does not count bad input as a login attempt', async () => {
    const before = (await scrape(sso.origin)).text;
    const res = await sso.graphql(LOGIN, { variables: { username: 'alice', password: 'alice-password', clientId: 'x'.repeat(1001) } });
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const missing = await postSession(sso.origin, { username: 'alice' });
    assert.equal(missing.status, 400);
    const after = await scrape(sso.origin);
    for (const outcome of ['success', 'invalid_credentials', 'error']) {
      const line = new RegExp(`^sso_logins_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm');
      assert.equal(after.text.match(line)?.[1], before.match(line)?.[1], outcome);
    }
  });

  it('counts failed queries and times every query', async () => {
    const before = await scrape(sso.origin);
    await assert.rejects(sso.db.orm.em.getConnection().execute('select 1 / 0'), /division by zero/);
    const after = await scrape(sso.origin);
    assert.equal(after.value('sso_database_errors_total'), 1);
    assert.equal(after.value('sso_database_query_duration_seconds_count'), before.value('sso_database_query_duration_seconds_count')! + 1);
  });

  it('answers HEAD without a body, and another method 405', async () => {
    const head = await fetch(`${sso.origin}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), TEXT_FORMAT);
    assert.equal(await head.text(), '');
    const post = await fetch(`${sso.origin}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });
});

describe('metrics: false', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({ metrics: false });
  });
  after(() => sso.close());

  it('serves no /metrics and counts nothing', async () => {
    assert.equal(sso.service.metrics, null);
    assert.equal(sso.service.services.metrics, undefined);
    const res = await fetch(`${sso.origin}/metrics`);
    assert.equal(res.status, 404);
    await sso.createUser('alice', 'alice-password');
    assert.ok(await sso.login('alice', 'alice-password'));
  });
});

describe('createSsoContext({ metrics }) in another subgraph', () => {
  it('counts the verifications of its requests on its own registry', async () => {
    const keys = createKeyDir();
    try {
      const file = await keys.add('myapp-20200410');
      const settings = resolveSettings({
        identity: 'otherapp',
        acceptedIssuers: ['myapp'],
        keyStoreRoot: keys.root,
        publicKeys: { myapp: [file] },
        verifySessionToken: false,
      });
      const metrics = new SsoMetrics({ processMetrics: false });
      const context = createSsoContext({ settings, keys: KeyStore.load(settings), metrics });
      const issuer = resolveSettings({
        identity: 'myapp',
        keyStoreRoot: keys.root,
        privateKeys: { myapp: [file] },
        authorizationAudience: ['otherapp'],
      });
      const token = encodeJwtToken({ token: 'auth', uid: 'u1', sid: 's1' }, { settings: issuer, keys: KeyStore.load(issuer) });
      const request = (authorization?: string) => ({ req: { headers: authorization ? { authorization } : {}, socket: {} } as never });
      await context(request());
      assert.equal((await context(request(`JWT ${token}`))).auth?.uid, 'u1');
      await context(request(`JWT ${token}`));
      await assert.rejects(context(request('JWT a.b.c')));
      await assert.rejects(context(request('JWT')));
      const text = await metrics.metrics();
      assert.match(text, /^sso_token_verifications_total\{outcome="valid",reason=""\} 2$/m);
      assert.match(text, /^sso_token_verifications_total\{outcome="invalid",reason="TOKEN_MALFORMED"\} 1$/m);
      assert.match(text, /^sso_token_verifications_total\{outcome="invalid",reason="AUTH_HEADER_INVALID"\} 1$/m);
      assert.doesNotMatch(text, /^process_cpu/m);
    } finally {
      keys.remove();
    }
  });
});
