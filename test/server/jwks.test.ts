import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { startIdentity, type TestIdentity } from '../support/identity.js';

describe('GET /.well-known/jwks.json', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({}, { extraKeys: [] });
    await sso.createUser('hank', 'hank-password');
  });
  after(() => sso.close());

  it('publishes the signing issuer’s public keys with kid, alg and use, cacheable', async () => {
    const response = await fetch(`${sso.origin}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.deepEqual(Object.keys(key!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.deepEqual([key!.kid, key!.alg, key!.use, key!.kty], ['myapp-20200410', 'RS256', 'sig', 'RSA']);

    // A client can verify the service's tokens with nothing but the published key.
    const token = await sso.login('hank', 'hank-password');
    const [header, payload, signature] = token.split('.');
    const publicKey = createPublicKey({ key: key as never, format: 'jwk' });
    assert.equal(verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature!, 'base64url')), true);
  });

  it('answers only GET and HEAD', async () => {
    const response = await fetch(`${sso.origin}/.well-known/jwks.json`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
  });
});
