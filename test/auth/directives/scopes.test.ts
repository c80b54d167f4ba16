import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyAuthDirectives } from '../../../src/auth/directives/apply.js';
import { authDirectiveTypeDefs } from '../../../src/auth/directives/type-defs.js';
import { defaultExtractScopes, defaultGetClaims, defaultGetUser } from '../../../src/auth/directives/defaults.js';
import { LINK, claims, codes, serve, subgraph, type TestServer } from './support.js';

const SDL = `
  type Query {
    publicStatus: String
    me: String @authenticated
    report: String @requiresScopes(scopes: [["a", "b"], ["c"]])
    both: Secret @authenticated @requiresScopes(scopes: [["a"]])
  }
  scalar Secret @requiresScopes(scopes: [["b"]])
`;
const resolvers = {
  Query: { publicStatus: () => 'ok', me: () => 'me', report: () => 'report', both: () => 'both' },
};

describe('@authenticated and @requiresScopes', () => {
  let t: TestServer;
  before(async () => {
    t = await serve(applyAuthDirectives(subgraph(`${LINK}\n${SDL}`, resolvers)));
  });
  after(() => t.stop());

  it('lets anyone read an unguarded field, and denies guarded ones to anonymous requests with UNAUTHENTICATED', async () => {
    const result = await t.run('{ publicStatus me report }');
    assert.deepEqual(result.data, { publicStatus: 'ok', me: null, report: null });
    assert.deepEqual(codes(result), { me: 'UNAUTHENTICATED', report: 'UNAUTHENTICATED' });
    assert.equal(result.errors.find((e) => e.path?.[0] === 'me')?.message, 'Field "Query.me" requires authentication');
    assert.equal(result.status, undefined, 'field errors leave the HTTP status alone');
  });

  it('@authenticated holds for any verified claims', async () => {
    const result = await t.run('{ me }', { auth: claims() });
    assert.deepEqual(result.data, { me: 'me' });
    assert.deepEqual(result.errors, []);
  });

  it('treats the scope sets as an OR of AND-lists', async () => {
    const cases: [string[], boolean][] = [
      [['a', 'b'], true],
      [['c'], true],
      [['a', 'b', 'c'], true],
      [['a'], false],
      [['b'], false],
      [['x'], false],
      [[], false],
    ];
    for (const [scopes, allowed] of cases) {
      const result = await t.run('{ report }', { auth: claims({ scopes }) });
      assert.deepEqual(result.data, { report: allowed ? 'report' : null }, `scopes ${scopes.join(',')}`);
      assert.deepEqual(codes(result), allowed ? {} : { report: 'FORBIDDEN' }, `scopes ${scopes.join(',')}`);
    }
    const denied = await t.run('{ report }', { auth: claims({ scopes: ['a'] }) });
    assert.equal(denied.errors[0].message, 'Field "Query.report" requires one of the scope sets [a, b], [c]');
  });

  it('requires every directive of a field, and of the scalar it returns, to hold', async () => {
    assert.deepEqual(codes(await t.run('{ both }', { auth: claims({ scopes: ['a'] }) })), { both: 'FORBIDDEN' });
    assert.deepEqual((await t.run('{ both }', { auth: claims({ scopes: ['a', 'b'] }) })).data, { both: 'both' });
  });

  it('reads a space-separated `scope` claim beside the `scopes` array', async () => {
    assert.deepEqual((await t.run('{ report }', { auth: claims({ scope: 'x  c' }) })).data, { report: 'report' });
    assert.deepEqual((await t.run('{ report }', { auth: claims({ scopes: ['a'], scope: 'b' }) })).data, { report: 'report' });
    assert.deepEqual(codes(await t.run('{ report }', { auth: claims({ scope: 'a' }) })), { report: 'FORBIDDEN' });
  });
});

describe('extension points', () => {
  it('defaults read context.auth, context.user and the scopes claims', () => {
    const auth = claims({ scopes: ['a', 7], scope: 'b c' });
    assert.equal(defaultGetClaims({ auth, user: null }), auth);
    assert.equal(defaultGetClaims({ auth: null }), null);
    assert.equal(defaultGetClaims(undefined), null);
    assert.deepEqual(defaultGetUser({ user: { id: 1 } }), { id: 1 });
    assert.equal(defaultGetUser({}), null);
    assert.deepEqual(defaultExtractScopes(auth), ['a', 'b', 'c']);
  });

  it('uses the injected getClaims and extractScopes', async () => {
    const schema = applyAuthDirectives(subgraph(`${LINK}\n${SDL}`, resolvers), {
      getClaims: (context) => (context as { user?: { claims?: Record<string, unknown> } }).user?.claims ?? null,
      extractScopes: (c) => String(c.perms ?? '').split(','),
    });
    const t = await serve(schema);
    try {
      const result = await t.run('{ me report }', { user: { claims: { perms: 'c' } } });
      assert.deepEqual(result.data, { me: 'me', report: 'report' });
      assert.deepEqual(codes(await t.run('{ me }', { auth: claims() })), { me: 'UNAUTHENTICATED' });
    } finally {
      await t.stop();
    }
  });
});

describe('SDL-first schemas without @link', () => {
  it('enforces the bare directive names declared by authDirectiveTypeDefs', async () => {
    const t = await serve(applyAuthDirectives(subgraph(`${authDirectiveTypeDefs}\n${SDL}`, resolvers)));
    try {
      const result = await t.run('{ me report }', { auth: claims({ scopes: ['a'] }) });
      assert.deepEqual(result.data, { me: 'me', report: null });
      assert.deepEqual(codes(result), { report: 'FORBIDDEN' });
    } finally {
      await t.stop();
    }
  });
});
