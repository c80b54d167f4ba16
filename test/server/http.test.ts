import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startIdentity, type TestIdentity } from '../support/identity.js';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request by `node:http`, for what fetch cannot send: a chunked body, a raw path. */
function raw(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    // The server may answer and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('identity service: HTTP routing and answers', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({ limits: { maxBodyBytes: 4096 } });
  });
  after(() => sso.close());

  it('serves /graphql with or without the trailing slash', async () => {
    for (const path of ['/graphql', '/graphql/']) {
      const res = await fetch(`${sso.origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      assert.deepEqual(await res.json(), { data: { __typename: 'Query' } }, path);
    }
  });

  it('answers another path 404 whatever its body, and HEAD where GET is served', async () => {
    const missing = await fetch(`${sso.origin}/nowhere`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'Not found: POST /nowhere. GraphQL is served at /graphql.' });
    for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/metrics']) {
      const head = await fetch(`${sso.origin}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(await head.text(), '', path);
    }
  });

  it('refuses a chunked body over limits.maxBodyBytes with 413 and closes the connection, for GraphQL and REST', async () => {
    for (const [path, expected] of [
      [
        '/graphql',
        {
          errors: [
            {
              message: 'Request body is larger than 4096 bytes (setting limits.maxBodyBytes).',
              extensions: { code: 'BAD_REQUEST', reason: 'REQUEST_TOO_LARGE' },
            },
          ],
        },
      ],
      ['/session/', { detail: 'Request body is larger than 4096 bytes (setting limits.maxBodyBytes).' }],
    ] as const) {
      const chunks = Array.from({ length: 16 }, () => Buffer.alloc(1024, 'x'));
      const reply = await raw(sso.url, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks,
      });
      assert.equal(reply.status, 413, path);
      assert.equal(reply.headers.connection, 'close', path);
      assert.deepEqual(JSON.parse(reply.body), expected, path);
    }
  });

  it('answers a request Fastify cannot route with 400, with a request id', async () => {
    const reply = await raw(sso.url, { path: '/graphql/%zz' });
    assert.equal(reply.status, 400);
    assert.equal(JSON.parse(reply.body).errors[0].extensions.code, 'BAD_REQUEST');
    assert.ok(reply.headers['x-request-id']);
  });

  it('refuses a Host header that no URL can hold with 400, never 500', async () => {
    for (const host of ['a b', '[::1', 'ex%ample.com']) {
      const reply = await raw(sso.url, {
        method: 'POST',
        path: '/graphql',
        headers: { host, 'content-type': 'application/json' },
        chunks: [Buffer.from('{"query":"{ __typename }"}')],
      });
      assert.equal(reply.status, 400, `${host}: ${reply.body}`);
      assert.deepEqual(JSON.parse(reply.body).errors[0], {
        message: 'Invalid Host header.',
        extensions: { code: 'BAD_REQUEST', reason: 'REQUEST_INVALID' },
      });
    }
  });

  it('leaves other methods on /graphql to Apollo Server', async () => {
    const res = await fetch(sso.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });
});
