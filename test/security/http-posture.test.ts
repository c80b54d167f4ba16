import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { resolveSettings, SettingsError, type SsoConfig } from '../../src/index.js';
import { startIdentity, type TestIdentity } from '../support/identity.js';

const FTV1 = { 'apollo-federation-include-trace': 'ftv1' };

async function graphqlBody(sso: TestIdentity, query: string, headers: Record<string, string> = {}) {
  const answer = await sso.graphql(query, { headers });
  return answer;
}

describe('security: token answers are never cached', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity();
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  it('GraphQL answers carry Cache-Control: no-store (login, minting, and the rest)', async () => {
    const login = await sso.graphql('mutation { obtainSessionToken(username: "alice", password: "alice-password") { token } }');
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const token = login.body.data!.obtainSessionToken.token as string;
    assert.equal((await sso.mint(token)).headers.get('cache-control'), 'no-store');
    assert.equal((await sso.graphql('{ me { username } }', { token })).headers.get('cache-control'), 'no-store');
  });

  it('the REST endpoints carry it too, on tokens and on refusals', async () => {
    const ok = await fetch(`${sso.origin}/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const { token } = (await ok.json()) as { token: string };
    const minted = await fetch(`${sso.origin}/authorize/`, { method: 'POST', headers: { authorization: `JWT ${token}` } });
    assert.equal(minted.status, 200);
    assert.equal(minted.headers.get('cache-control'), 'no-store');
    const refused = await fetch(`${sso.origin}/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'wrong' }),
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('cache-control'), 'no-store');
  });

  it('sends no Access-Control-Allow-Origin, let alone *, beside an accepted Authorization', async () => {
    const preflight = await fetch(sso.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const answer = await sso.graphql('{ me { username } }', { headers: { origin: 'https://evil.example' } });
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });
});

describe('security: CORS for the origins of corsOrigins only', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({ corsOrigins: ['https://app.example.com'] });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  const preflight = (origin: string) =>
    fetch(sso.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('answers a listed origin with its own name, never *, and lets its pages send Authorization', async () => {
    const answer = await preflight('https://app.example.com');
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(answer.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(answer.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(answer.headers.get('access-control-allow-credentials'), null, 'tokens travel in a header, never a cookie');
    const token = await sso.login('alice', 'alice-password');
    const me = await sso.graphql('{ me { username } }', { token, headers: { origin: 'https://app.example.com' } });
    assert.equal(me.body.data!.me.username, 'alice');
    assert.equal(me.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(me.headers.get('vary') ?? '', /origin/i);
  });

  it('gives any other origin no CORS header, so its pages cannot read the answers', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const answer = await preflight(origin);
      assert.equal(answer.headers.get('access-control-allow-origin'), null, origin);
      const token = await sso.login('alice', 'alice-password');
      const me = await sso.graphql('{ me { username } }', { token, headers: { origin } });
      assert.equal(me.headers.get('access-control-allow-origin'), null, origin);
    }
  });

  it('corsOrigins takes origins only, checked at start-up', () => {
    for (const value of ['*', ['*'], ['https://app.example.com/'], [42]]) {
      assert.throws(
        () => resolveSettings({ corsOrigins: value } as SsoConfig),
        (error: unknown) =>
          error instanceof SettingsError && /^corsOrigins/.test(error.setting ?? '') && /must be a list of origins/.test(error.message),
      );
    }
  });
});

describe('security: /metrics on a listener of its own (metricsPort)', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({ metricsPort: 0 });
  });
  after(() => sso.close());

  it('serves /metrics on its own port only, and not beside /graphql', async () => {
    const server = sso.service.metricsServer;
    assert.ok(server?.listening, 'the metrics listener is up once the service listens');
    const { port } = server.address() as AddressInfo;
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /sso_/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/graphql`)).status, 404);
    assert.equal((await fetch(`${sso.origin}/metrics`)).status, 404);
  });

  it('metricsPort is a port number or null, checked at start-up', () => {
    for (const value of [-1, 65536, 1.5, '9464']) {
      assert.throws(
        () => resolveSettings({ metricsPort: value } as SsoConfig),
        (error: unknown) =>
          error instanceof SettingsError && error.setting === 'metricsPort' && /must be a whole number of port/.test(error.message),
      );
    }
  });
});

describe('security: form posts from other origins are refused (CSRF)', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({ trustedOrigins: ['https://app.example.com'] });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  const form = (headers: Record<string, string>, type = 'application/x-www-form-urlencoded') =>
    fetch(`${sso.origin}/session/`, {
      method: 'POST',
      headers: { 'content-type': type, ...headers },
      body: 'username=alice&password=alice-password',
    });

  it('refuses a form, a multipart form or plain text from an origin that is not trusted, with 403 in Django words', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const answer = await form({ origin: 'https://evil.example' }, type);
      assert.equal(answer.status, 403, type);
      assert.deepEqual(await answer.json(), {
        detail: 'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.',
      });
    }
    const byReferer = await form({ referer: 'https://evil.example/page' });
    assert.equal(byReferer.status, 403);
    assert.equal((await form({ origin: 'null' })).status, 403, 'a sandboxed page');
  });

  it('accepts forms from the trusted origins, from the service itself, and from no browser page', async () => {
    assert.equal((await form({ origin: 'https://app.example.com' })).status, 200);
    assert.equal((await form({ origin: sso.origin })).status, 200);
    assert.equal((await form({})).status, 200);
  });

  it('accepts JSON from any origin: browsers preflight it, and the preflight is not answered', async () => {
    const answer = await fetch(`${sso.origin}/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    assert.equal(answer.status, 200);
  });

  it('trustedOrigins takes origins only, checked at start-up', () => {
    for (const value of ['https://app.example.com', ['https://app.example.com/path'], ['app.example.com'], [42]]) {
      assert.throws(
        () => resolveSettings({ trustedOrigins: value } as SsoConfig),
        (error: unknown) =>
          error instanceof SettingsError && /^trustedOrigins/.test(error.setting ?? '') && /must be a list of origins/.test(error.message),
      );
    }
  });
});

describe('security: production hides schema suggestions and federation traces', () => {
  let production: TestIdentity;
  let enabled: TestIdentity;
  let development: TestIdentity;

  before(async () => {
    production = await startIdentity({}, { nodeEnv: 'production' });
    enabled = await startIdentity({ suggestions: true, federationTraces: true }, { nodeEnv: 'production' });
    development = await startIdentity({}, { nodeEnv: 'development' });
  });
  after(async () => {
    await production.close();
    await enabled.close();
    await development.close();
  });

  const suggestion = async (sso: TestIdentity) => {
    const answer = await graphqlBody(sso, '{ mee { username } }');
    assert.equal(answer.status, 400);
    return answer.body.errors![0]!.message;
  };
  const trace = async (sso: TestIdentity) => {
    const answer = await graphqlBody(sso, '{ me { username } }', FTV1);
    return (answer.body as { extensions?: { ftv1?: string } }).extensions?.ftv1;
  };

  it('no "Did you mean" in production, unless suggestions is on', async () => {
    assert.doesNotMatch(await suggestion(production), /Did you mean/);
    assert.match(await suggestion(enabled), /Did you mean "me"\?/);
    assert.match(await suggestion(development), /Did you mean "me"\?/);
  });

  it('no ftv1 trace in production, unless federationTraces is on', async () => {
    assert.equal(await trace(production), undefined);
    assert.equal(typeof (await trace(enabled)), 'string');
    assert.equal(typeof (await trace(development)), 'string');
  });

  it('suggestions and federationTraces are flags or null, checked at start-up', () => {
    for (const setting of ['suggestions', 'federationTraces']) {
      assert.throws(
        () => resolveSettings({ [setting]: 'yes' } as SsoConfig),
        (error: unknown) => error instanceof SettingsError && error.setting === setting && /must be true or false/.test(error.message),
      );
    }
  });
});
