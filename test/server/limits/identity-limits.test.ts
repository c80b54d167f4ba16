import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { SessionToken } from '../../../src/identity/entities/index.js';
import { LOGIN, startIdentity, type TestIdentity } from '../../support/identity.js';

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

/** One HTTP request to the identity service, its body sent as is; a JSON answer parsed. */
async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

const postText = (url: string, body: string, headers: Record<string, string> = {}) =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const post = (url: string, body: unknown, headers: Record<string, string> = {}) => postText(url, JSON.stringify(body), headers);

/** The `[code, message]` of each error: what a refusal is asserted on. */
const errorsOf = (reply: Reply) => reply.body.errors.map((e: any) => [e.extensions?.code, e.message]);

const ALICE_LOGIN = { query: LOGIN, variables: { username: 'alice', password: 'alice-password' } };
const sessionCount = (sso: TestIdentity) => sso.db.orm.em.fork().count(SessionToken, {});

describe('identity service: request limits (defaults)', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({}, { nodeEnv: 'development' });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  describe('malformed requests: 400, never 500', () => {
    it('malformed JSON', async () => {
      const reply = await postText(sso.url, '{"query": ');
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [['BAD_REQUEST', 'Request body is not valid JSON.']]);
    });

    it('JSON nested a million levels deep', async () => {
      const reply = await postText(sso.url, `${'['.repeat(500_000)}${']'.repeat(500_000)}`);
      assert.equal(reply.status, 400);
      assert.equal(reply.body.errors[0].extensions.code, 'BAD_REQUEST');
    });

    it('a content type other than JSON', async () => {
      const body = JSON.stringify({ query: '{ me { username } }' });
      const blocked = await postText(sso.url, body, { 'content-type': 'text/plain' });
      assert.equal(blocked.status, 400);
      assert.match(errorsOf(blocked)[0][1], /Cross-Site Request Forgery/);
      const preflighted = await postText(sso.url, body, { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' });
      assert.equal(preflighted.status, 400);
      assert.deepEqual(errorsOf(preflighted), [['BAD_REQUEST', 'POST body missing, invalid Content-Type, or JSON object has no keys.']]);
    });

    it('a query that is not a string', async () => {
      const reply = await post(sso.url, { query: 5 });
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [['BAD_REQUEST', 'GraphQL queries must be strings.']]);
    });

    it('variables that are not an object', async () => {
      const list = await post(sso.url, { query: LOGIN, variables: ['alice'] });
      assert.equal(list.status, 400);
      assert.deepEqual(errorsOf(list), [['BAD_REQUEST', '`variables` in a POST body must be an object if provided.']]);
      const text = await post(sso.url, { query: LOGIN, variables: '{"username":"alice"}' });
      assert.equal(text.status, 400);
      assert.equal(errorsOf(text)[0][0], 'BAD_REQUEST');
    });

    it('a query nested a hundred thousand levels deep', async () => {
      const reply = await post(sso.url, { query: `{ me ${'{ me '.repeat(100_000)}${'} '.repeat(100_000)}}` });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.data, undefined);
      assert.equal(reply.body.errors.length, 1);
      assert.equal(reply.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    });
  });

  describe('operation limits: 400 GRAPHQL_VALIDATION_FAILED naming the setting, nothing executed', () => {
    it('depth (limits.maxDepth = 15): introspection nested without end, which graphql-js refuses too', async () => {
      const query = `{ __schema { types { ${'fields { type { '.repeat(7)}name ${'} } '.repeat(7)}} } }`;
      const reply = await post(sso.url, { query });
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [
        ['GRAPHQL_VALIDATION_FAILED', 'Query depth 17 exceeds the limit of 15 (setting limits.maxDepth).'],
        ['GRAPHQL_VALIDATION_FAILED', 'Maximum introspection depth exceeded'],
      ]);
    });

    it('aliases (limits.maxAliases = 30)', async () => {
      const fields = Array.from({ length: 31 }, (_, i) => `u${i}: username`).join(' ');
      const reply = await post(sso.url, { query: `{ me { ${fields} } }` });
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [['GRAPHQL_VALIDATION_FAILED', '31 aliases exceed the limit of 30 (setting limits.maxAliases).']]);
    });

    it('root fields (limits.maxRootFields = 20): 21 logins in one operation, none of them run', async () => {
      const logins = Array.from(
        { length: 21 },
        (_, i) => `l${i}: obtainSessionToken(username: "alice", password: "alice-password") { token }`,
      );
      const before = await sessionCount(sso);
      const reply = await post(sso.url, { query: `mutation { ${logins.join(' ')} }` });
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [
        ['GRAPHQL_VALIDATION_FAILED', '21 root fields exceed the limit of 20 (setting limits.maxRootFields).'],
      ]);
      assert.equal(await sessionCount(sso), before);
    });

    it('the standard introspection query passes them', async () => {
      const reply = await post(sso.url, { query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.errors, undefined);
      assert.ok(reply.body.data.__schema.types.some((type: { name: string }) => type.name === 'TokenResult'));
    });
  });

  describe('batches (limits.maxBatchOperations = 10)', () => {
    it('runs each operation of a batch', async () => {
      const before = await sessionCount(sso);
      const reply = await post(sso.url, [ALICE_LOGIN, { query: '{ me { username } }' }]);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.length, 2);
      assert.match(reply.body[0].data.obtainSessionToken.token, /^ey/);
      assert.deepEqual(reply.body[1], { data: { me: null } });
      assert.equal(await sessionCount(sso), before + 1);
    });

    it('refuses a bigger batch with 400 before any operation runs', async () => {
      const before = await sessionCount(sso);
      const reply = await post(
        sso.url,
        Array.from({ length: 11 }, () => ALICE_LOGIN),
      );
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [
        ['BAD_REQUEST', 'A batch of 11 operations exceeds the limit of 10 (setting limits.maxBatchOperations).'],
      ]);
      assert.equal(await sessionCount(sso), before);
      const ten = await post(
        sso.url,
        Array.from({ length: 10 }, () => ({ query: '{ me { username } }' })),
      );
      assert.equal(ten.status, 200);
      assert.equal(ten.body.length, 10);
    });

    it('refuses an empty batch with 400', async () => {
      const reply = await post(sso.url, []);
      assert.equal(reply.status, 400);
      assert.deepEqual(errorsOf(reply), [['BAD_REQUEST', 'No operations found in request.']]);
    });
  });

  describe('size limits', () => {
    it('a body over limits.maxBodyBytes (1 MiB): 413, unread, connection closed', async () => {
      const reply = await post(sso.url, { query: '{ me { username } }', variables: { padding: 'x'.repeat(1024 * 1024) } });
      assert.equal(reply.status, 413);
      assert.equal(reply.headers.get('connection'), 'close');
      assert.deepEqual(errorsOf(reply), [['BAD_REQUEST', 'Request body is larger than 1048576 bytes (setting limits.maxBodyBytes).']]);
    });

    it('a token over limits.maxTokenLength (8192): 401 UNAUTHENTICATED, for GraphQL and REST', async () => {
      const reply = await post(sso.url, { query: '{ me { username } }' }, { authorization: `JWT ${'a'.repeat(8193)}` });
      assert.equal(reply.status, 401);
      assert.equal(reply.headers.get('www-authenticate'), 'JWT realm="api"');
      const message =
        'Invalid token header. The token is 8193 characters long, more than the limit of 8192 (setting limits.maxTokenLength).';
      assert.deepEqual(errorsOf(reply), [['UNAUTHENTICATED', message]]);
      assert.equal(reply.body.errors[0].extensions.reason, 'TOKEN_TOO_LONG');
      const rest = await post(`${sso.origin}/authorize/`, {}, { authorization: `JWT ${'a'.repeat(8193)}` });
      assert.equal(rest.status, 401);
      assert.deepEqual(rest.body, { detail: message });
      const fits = await post(sso.url, { query: '{ me { username } }' }, { authorization: `JWT ${'a'.repeat(8192)}` });
      assert.equal(fits.status, 401);
      assert.equal(fits.body.errors[0].extensions.reason, 'TOKEN_MALFORMED');
    });

    it('headers over Node’s limit (16 KiB): 431 from node:http', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          sso.url,
          { method: 'POST', headers: { 'content-type': 'application/json', authorization: `JWT ${'a'.repeat(20_000)}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end('{"query":"{ me { username } }"}');
      });
      assert.equal(status, 431);
    });
  });

  describe('CSRF prevention', () => {
    const query = encodeURIComponent('{ me { username } }');

    it('refuses a GET without a preflight header, serves it with one', async () => {
      const blocked = await send(`${sso.url}?query=${query}`);
      assert.equal(blocked.status, 400);
      assert.match(errorsOf(blocked)[0][1], /Cross-Site Request Forgery/);
      const allowed = await send(`${sso.url}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
      assert.equal(allowed.status, 200);
      assert.deepEqual(allowed.body, { data: { me: null } });
    });

    it('refuses form posts without a preflight header', async () => {
      const form = await send(sso.url, { method: 'POST', body: new URLSearchParams({ query: '{ me { username } }' }) });
      assert.equal(form.status, 400);
      assert.match(errorsOf(form)[0][1], /Cross-Site Request Forgery/);
    });

    it('refuses a mutation sent with GET, even preflighted', async () => {
      const mutation = encodeURIComponent('mutation { obtainSessionToken(username: "alice", password: "alice-password") { token } }');
      const before = await sessionCount(sso);
      const blocked = await send(`${sso.url}?query=${mutation}`);
      assert.equal(blocked.status, 400);
      const preflighted = await send(`${sso.url}?query=${mutation}`, { headers: { 'x-apollo-operation-name': 'Login' } });
      assert.equal(preflighted.status, 405);
      assert.equal(errorsOf(preflighted)[0][0], 'BAD_REQUEST');
      assert.equal(await sessionCount(sso), before);
    });
  });

  it('outside production: introspection and the landing page', async () => {
    const page = await send(sso.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });
});

describe('identity service: request limits from settings, in production', () => {
  let sso: TestIdentity;
  let open: TestIdentity;

  before(async () => {
    sso = await startIdentity({ limits: { maxBodyBytes: 2048, maxBatchOperations: 2 } }, { nodeEnv: 'production' });
    await sso.createUser('alice', 'alice-password');
    open = await startIdentity({ introspection: true }, { nodeEnv: 'production' });
  });
  after(async () => {
    await sso.close();
    await open.close();
  });

  it('no introspection and no landing page', async () => {
    const introspection = await post(sso.url, { query: '{ __schema { queryType { name } } }' });
    assert.equal(introspection.status, 400);
    assert.equal(errorsOf(introspection)[0][0], 'GRAPHQL_VALIDATION_FAILED');
    const page = await send(sso.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('introspection: true turns it back on', async () => {
    const introspection = await post(open.url, { query: '{ __schema { queryType { name } } }' });
    assert.deepEqual(introspection.body, { data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('limits.maxBodyBytes holds for GraphQL and the REST endpoints', async () => {
    const padding = 'x'.repeat(3000);
    const graphql = await post(sso.url, { query: '{ me { username } }', variables: { padding } });
    assert.equal(graphql.status, 413);
    assert.deepEqual(errorsOf(graphql), [['BAD_REQUEST', 'Request body is larger than 2048 bytes (setting limits.maxBodyBytes).']]);
    const rest = await post(`${sso.origin}/session/`, { username: 'alice', password: padding });
    assert.equal(rest.status, 413);
    assert.deepEqual(rest.body, { detail: 'Request body is larger than 2048 bytes (setting limits.maxBodyBytes).' });
  });

  it('limits.maxBatchOperations', async () => {
    const reply = await post(sso.url, [ALICE_LOGIN, ALICE_LOGIN, ALICE_LOGIN]);
    assert.equal(reply.status, 400);
    assert.deepEqual(errorsOf(reply), [
      ['BAD_REQUEST', 'A batch of 3 operations exceeds the limit of 2 (setting limits.maxBatchOperations).'],
    ]);
    const two = await post(sso.url, [ALICE_LOGIN, ALICE_LOGIN]);
    assert.equal(two.status, 200);
    assert.equal(two.body.length, 2);
  });
});
