import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  createSsoContext,
  formatSsoError,
  requestLimits,
  resolveSettings,
  type DecodeJwtToken,
  type SsoContext,
  type SsoSettings,
  type TokenPayload,
} from '../../../src/index.js';

const typeDefs = `
  type Query { version: String, node: Node, whoami: String }
  type Node { name: String, child: Node }
`;
const resolvers = {
  Query: {
    version: () => '1',
    node: () => ({}),
    whoami: (_: unknown, __: unknown, ctx: SsoContext) => (ctx.auth ? String(ctx.auth.uid) : null),
  },
  Node: { name: () => 'n', child: () => ({}) },
};

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function send(url: string, init: RequestInit): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** A subgraph as the README shows it: `createSsoContext` plus `requestLimits(settings)` in one spread. */
async function startSubgraph(settings: SsoSettings, nodeEnv: string) {
  const limits = requestLimits<SsoContext>(settings, { nodeEnv });
  const apollo = new ApolloServer<SsoContext>({
    typeDefs,
    resolvers,
    formatError: formatSsoError,
    includeStacktraceInErrorResponses: false,
    nodeEnv,
    ...limits,
    plugins: [...limits.plugins],
  });
  const { url } = await startStandaloneServer(apollo, { context: createSsoContext({ settings }), listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => apollo.stop() };
}

describe('requestLimits: the same limits for any subgraph', () => {
  const decoded: string[] = [];
  const decodeJwtToken: DecodeJwtToken = (token) => {
    decoded.push(token);
    return { token: 'auth', uid: 'u1', iss: 'myapp' } as TokenPayload;
  };
  const settings = resolveSettings({
    identity: 'otherapp',
    verifySessionToken: false,
    decodeJwtToken,
    limits: { maxTokenLength: 64, maxDepth: 4 },
  });
  let production: { url: string; stop: () => Promise<void> };
  let development: { url: string; stop: () => Promise<void> };

  before(async () => {
    production = await startSubgraph(settings, 'production');
    development = await startSubgraph(settings, 'development');
  });
  after(async () => {
    await production.stop();
    await development.stop();
  });

  it('refuses a query deeper than limits.maxDepth: 400 GRAPHQL_VALIDATION_FAILED, nothing executed', async () => {
    const reply = await post(production.url, { query: '{ node { child { child { child { name } } } } }' });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.data, undefined);
    assert.deepEqual(
      reply.body.errors.map((e: any) => [e.extensions.code, e.message]),
      [['GRAPHQL_VALIDATION_FAILED', 'Query depth 5 exceeds the limit of 4 (setting limits.maxDepth).']],
    );
    assert.deepEqual((await post(production.url, { query: '{ node { child { child { name } } } }' })).body, {
      data: { node: { child: { child: { name: 'n' } } } },
    });
  });

  it('refuses a token longer than limits.maxTokenLength with 401 before decoding it', async () => {
    const reply = await post(production.url, { query: '{ whoami }' }, { authorization: `JWT ${'a'.repeat(65)}` });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers.get('www-authenticate'), 'JWT realm="api"');
    assert.deepEqual(
      reply.body.errors.map((e: any) => [e.extensions.code, e.extensions.reason, e.message]),
      [
        [
          'UNAUTHENTICATED',
          'TOKEN_TOO_LONG',
          'Invalid token header. The token is 65 characters long, more than the limit of 64 (setting limits.maxTokenLength).',
        ],
      ],
    );
    assert.deepEqual(decoded, []);
    const fits = await post(production.url, { query: '{ whoami }' }, { authorization: `JWT ${'a'.repeat(64)}` });
    assert.deepEqual(fits.body, { data: { whoami: 'u1' } });
    assert.deepEqual(decoded, ['a'.repeat(64)]);
  });

  it('leaves batching off: a batch is answered 400', async () => {
    const reply = await post(production.url, [{ query: '{ version }' }, { query: '{ version }' }]);
    assert.equal(reply.status, 400);
    assert.deepEqual(
      reply.body.errors.map((e: any) => [e.extensions.code, e.message]),
      [['BAD_REQUEST', 'Operation batching disabled.']],
    );
  });

  it('keeps CSRF prevention on: a simple GET is refused 400', async () => {
    const reply = await send(`${production.url}?query=${encodeURIComponent('{ version }')}`, { method: 'GET' });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.errors[0].extensions.code, 'BAD_REQUEST');
    assert.match(reply.body.errors[0].message, /Cross-Site Request Forgery/);
  });

  it('in production: no introspection and no landing page', async () => {
    const introspection = await post(production.url, { query: '{ __schema { queryType { name } } }' });
    assert.equal(introspection.status, 400);
    assert.equal(introspection.body.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(introspection.body.errors[0].message, /introspection is not allowed/i);
    const page = await send(production.url, { method: 'GET', headers: { accept: 'text/html' } });
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('elsewhere: introspection and the landing page', async () => {
    const introspection = await post(development.url, { query: '{ __schema { queryType { name } } }' });
    assert.deepEqual(introspection.body, { data: { __schema: { queryType: { name: 'Query' } } } });
    const page = await send(development.url, { method: 'GET', headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });
});

describe('requestLimits: introspection', () => {
  const limits = resolveSettings().limits;

  it('follows NODE_ENV unless settings.introspection says otherwise', () => {
    assert.equal(requestLimits({ limits, introspection: null }, { nodeEnv: 'production' }).introspection, false);
    assert.equal(requestLimits({ limits, introspection: null }, { nodeEnv: 'development' }).introspection, true);
    assert.equal(requestLimits({ limits, introspection: true }, { nodeEnv: 'production' }).introspection, true);
    assert.equal(requestLimits({ limits, introspection: false }, { nodeEnv: 'development' }).introspection, false);
  });

  it('reads process.env.NODE_ENV when no nodeEnv is given', () => {
    const saved = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      assert.equal(requestLimits({ limits, introspection: null }).introspection, false);
      process.env.NODE_ENV = 'test';
      assert.equal(requestLimits({ limits, introspection: null }).introspection, true);
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
});
