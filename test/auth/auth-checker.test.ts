import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import { ssoAuthChecker, type SsoContext } from '../../src/index.js';

/** What type-graphql hands an authChecker, for the context only ssoAuthChecker reads. */
function check(auth: Record<string, unknown> | null, scopes: string[]) {
  const context = {
    auth,
    user: Promise.resolve(auth ? { id: 'u1' } : null),
    token: null,
    request: { ip: null, userAgent: '' },
  } as unknown as SsoContext;
  return ssoAuthChecker({ context, root: {}, args: {}, info: {} as never }, scopes);
}

async function codeOf(result: boolean | Promise<boolean>): Promise<unknown> {
  const error = await Promise.resolve(result).then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof GraphQLError ? error.extensions.code : error;
}

describe('ssoAuthChecker', () => {
  const base = { token: 'auth', iss: 'myapp', sid: 's1', uid: 'u1' };

  it('@Authorized() needs a verified token', async () => {
    assert.equal(await codeOf(check(null, [])), 'UNAUTHENTICATED');
    assert.equal(await check(base, []), true);
  });

  it('@Authorized("x") reads the scopes array and the space-separated scope claim', async () => {
    assert.equal(await check({ ...base, scopes: ['x'] }, ['x']), true);
    assert.equal(await check({ ...base, scope: 'w x' }, ['x']), true);
    assert.equal(await codeOf(check({ ...base, scopes: ['y'], scope: 'w' }, ['x'])), 'FORBIDDEN');
  });
});
