import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RemoteKeySet } from '../../src/jwt/remote-key-set.js';
import { AuthenticationError, ServiceUnavailableError } from '../../src/errors.js';

function jwk(kid: string, key: KeyObject, extra: Record<string, unknown> = {}) {
  return { ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig', ...extra };
}

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;

/** A fake JWKS endpoint: its key set can change or fail; it counts requests. */
function endpoint(initial: object[]) {
  const state = { keys: initial, fail: false, calls: 0, delay: 0 };
  const fetch = (async () => {
    state.calls += 1;
    if (state.delay) await new Promise((r) => setTimeout(r, state.delay));
    if (state.fail) throw new TypeError('fetch failed: ECONNREFUSED');
    return new Response(JSON.stringify({ keys: state.keys }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { state, fetch };
}

describe('RemoteKeySet', () => {
  const a = rsa();
  const b = rsa();

  it('fetches once and serves keys by kid from the cache', async () => {
    const { state, fetch } = endpoint([jwk('k1', a), jwk('k2', b)]);
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch });
    assert.equal((await set.getVerificationKey('myapp', 'k2')).kid, 'k2');
    assert.equal((await set.getVerificationKey('myapp', 'k1')).kid, 'k1');
    assert.equal((await set.getVerificationKey('myapp', undefined)).kid, 'k1', 'no kid: the first key');
    assert.deepEqual((await set.getVerificationKey('myapp', 'k1')).algorithms, ['RS256']);
    assert.equal(state.calls, 1);
  });

  it('shares one in-flight fetch between concurrent callers', async () => {
    const { state, fetch } = endpoint([jwk('k1', a)]);
    state.delay = 20;
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch });
    await Promise.all(Array.from({ length: 10 }, () => set.getVerificationKey('myapp', 'k1')));
    assert.equal(state.calls, 1);
  });

  it('refetches for an unknown kid (a rotated key), at most once per cooldown', async () => {
    let now = 0;
    const { state, fetch } = endpoint([jwk('old', a)]);
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch, cooldown: 30_000, now: () => now });
    await set.getVerificationKey('myapp', 'old');
    now = 31_000;
    state.keys = [jwk('new', b), jwk('old', a)];
    assert.equal((await set.getVerificationKey('myapp', 'new')).kid, 'new');
    assert.equal(state.calls, 2);
    await assert.rejects(
      set.getVerificationKey('myapp', 'bogus'),
      (e: unknown) => e instanceof AuthenticationError && e.code === 'KEY_NOT_FOUND',
    );
    await assert.rejects(set.getVerificationKey('myapp', 'bogus-2'), AuthenticationError);
    assert.equal(state.calls, 2, 'unknown kids within the cooldown do not refetch');
    now = 62_000;
    await assert.rejects(set.getVerificationKey('myapp', 'bogus'), AuthenticationError);
    assert.equal(state.calls, 3);
  });

  it('refetches after maxAge, and a removed key is then refused', async () => {
    let now = 0;
    const { state, fetch } = endpoint([jwk('k1', a), jwk('k2', b)]);
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch, maxAge: 60_000, now: () => now });
    await set.getVerificationKey('myapp', 'k2');
    state.keys = [jwk('k1', a)];
    now = 61_000;
    await assert.rejects(set.getVerificationKey('myapp', 'k2'), (e: unknown) => (e as AuthenticationError).code === 'KEY_NOT_FOUND');
    assert.equal(state.calls, 2);
  });

  it('keeps verifying with cached keys while the JWKS is down', async () => {
    let now = 0;
    const errors: string[] = [];
    const { state, fetch } = endpoint([jwk('k1', a)]);
    const set = new RemoteKeySet({
      issuers: { myapp: 'http://idp/jwks' },
      algorithms: ['RS256'],
      fetch,
      maxAge: 60_000,
      cooldown: 10_000,
      now: () => now,
      onError: (e) => errors.push(e.message),
    });
    await set.getVerificationKey('myapp', 'k1');
    state.fail = true;
    now = 120_000;
    assert.equal((await set.getVerificationKey('myapp', 'k1')).kid, 'k1');
    assert.equal((await set.getVerificationKey('myapp', 'k1')).kid, 'k1');
    assert.equal(state.calls, 2, 'a failed fetch is retried after the cooldown, not on every request');
    assert.match(errors[0]!, /ECONNREFUSED/);
    now = 131_000;
    await set.getVerificationKey('myapp', 'k1');
    assert.equal(state.calls, 3);
  });

  it('tells the issuer of a kid once fetched, and only when one issuer has it (issuerOfKey)', async () => {
    const one = endpoint([jwk('k1', a), jwk('shared', b)]);
    const two = endpoint([jwk('k2', b), jwk('shared', a)]);
    const fetch = ((url: string) => (String(url).startsWith('http://one/') ? one.fetch : two.fetch)(url)) as typeof globalThis.fetch;
    const set = new RemoteKeySet({ issuers: { one: 'http://one/jwks', two: 'http://two/jwks' }, algorithms: ['RS256'], fetch });
    assert.equal(set.issuerOfKey('k1'), undefined, 'not fetched yet: it cannot tell (and does not fetch to tell)');
    assert.equal(one.state.calls + two.state.calls, 0);
    await set.preload();
    assert.deepEqual(
      ['k1', 'k2', 'shared', 'nope', undefined].map((kid) => set.issuerOfKey(kid)),
      ['one', 'two', undefined, undefined, undefined],
    );
  });

  it('is unavailable (not a client error) when it never had keys', async () => {
    const { state, fetch } = endpoint([]);
    state.fail = true;
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch, onError: () => undefined });
    await assert.rejects(
      set.getVerificationKey('myapp', 'k1'),
      (e: unknown) => e instanceof ServiceUnavailableError && e.code === 'SERVICE_UNAVAILABLE',
    );
  });

  it('refuses issuers it has no URL for, keys of the wrong use or algorithm, and private keys', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const { fetch } = endpoint([
      jwk('enc', a, { use: 'enc' }),
      jwk('hs', a, { alg: 'HS256' }),
      jwk('ec', ec, { alg: 'ES256' }),
      { ...privateKey.export({ format: 'jwk' }), kid: 'private', alg: 'RS256' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' },
      jwk('ok', b),
    ]);
    const set = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch, cooldown: 1e9 });
    assert.equal((await set.getVerificationKey('myapp', 'ok')).kid, 'ok');
    for (const kid of ['enc', 'hs', 'ec', 'private', 'oct']) {
      await assert.rejects(set.getVerificationKey('myapp', kid), AuthenticationError, kid);
    }
    await assert.rejects(set.getVerificationKey('other', 'ok'), AuthenticationError);
  });
});
