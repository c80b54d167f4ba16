import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import {
  AuthenticationError,
  KeyStore,
  RemoteKeySet,
  VerifiedTokenCache,
  createSsoContext,
  decodeJwtToken,
  encodeJwtToken,
  resolveSettings,
  type SessionAuthenticator,
  type SsoConfig,
  type SsoSettings,
  type TokenPayload,
  type UnsignedPayload,
} from '../../src/index.js';
import { createKeyDir, type TestKeyDir } from '../support/keys.js';

const NOW = 1_700_000_000;
const CLAIMS: UnsignedPayload = { token: 'auth', sid: 'session-1', uid: 'user-1', scopes: ['accounts:read'], aud: ['myapp', 'otherapp'] };

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    assert.ok(error instanceof AuthenticationError, String(error));
    return error.code;
  }
};

const request = (token: string) =>
  ({ headers: { authorization: `JWT ${token}` }, socket: { remoteAddress: '192.0.2.1' } }) as unknown as IncomingMessage;

describe('VerifiedTokenCache, through decodeJwtToken and createSsoContext', () => {
  let dir: TestKeyDir;
  let current: string;
  let next: string;

  before(async () => {
    dir = createKeyDir();
    current = await dir.add('myapp-20250101');
    next = await dir.add('myapp-20260101');
  });
  after(() => dir.remove());

  const settingsOf = (config: SsoConfig = {}) =>
    resolveSettings({ identity: 'myapp', keyStoreRoot: dir.root, privateKeys: { myapp: [current] }, ...config });
  /** A settings object, its key store, a clock the test moves, and a cache. */
  function setup(config: SsoConfig = {}, maxEntries?: number) {
    const settings = settingsOf(config);
    const keys = KeyStore.load(settings);
    const clock = { now: NOW };
    const cache = new VerifiedTokenCache({ maxEntries });
    const sign = (claims: Partial<UnsignedPayload> = {}) =>
      encodeJwtToken({ ...CLAIMS, ...claims } as UnsignedPayload, { settings, keys, now: () => NOW });
    const decode = (
      token: string,
      overrides: { settings?: SsoSettings; keys?: KeyStore | RemoteKeySet; cache?: VerifiedTokenCache } = {},
    ) => decodeJwtToken(token, { settings, keys, cache, now: () => clock.now, ...overrides });
    return { settings, keys, clock, cache, sign, decode };
  }

  it('answers a token verified before with the same payload, frozen', async () => {
    const { cache, sign, decode } = setup();
    const token = sign();
    const first = await decode(token);
    assert.deepEqual(cache.stats(), { size: 1, maxEntries: 10_000, hits: 0, misses: 1, evictions: 0 });
    const second = await decode(token);
    assert.equal(second, first, 'the very payload object');
    assert.equal(cache.stats().hits, 1);
    assert.deepEqual(second, { ...CLAIMS, iss: 'myapp', exp: NOW + 300, iat: NOW });
    assert.ok(
      Object.isFrozen(second) && Object.isFrozen(second.scopes) && Object.isFrozen(second.aud),
      'requests share it: nobody may change it',
    );
    assert.throws(() => (second.scopes as string[]).push('admin'), TypeError);
  });

  it('never serves a token at or past its exp, with the leeway of validateClaims', async () => {
    for (const leeway of [0, 5]) {
      const { cache, clock, sign, decode } = setup({ expirationLeeway: leeway });
      const uncached = setup({ expirationLeeway: leeway });
      const token = sign({ exp: NOW + 10 });
      assert.equal(await codeOf(decode(token)), 'OK');
      for (let t = NOW; t <= NOW + 20; t += 1) {
        clock.now = t;
        uncached.clock.now = t;
        const expected = t < NOW + 10 + leeway ? 'OK' : 'TOKEN_EXPIRED';
        assert.equal(await codeOf(decode(token)), expected, `leeway ${leeway}, ${t - NOW} s after issue`);
        assert.equal(await codeOf(uncached.decode(token, { cache: undefined })), expected, 'the same answer as without a cache');
      }
      assert.equal(cache.stats().hits, 10 + leeway, 'served from the cache up to the last second before expiry');
      assert.equal(cache.size, 0, 'an expired token is dropped');
    }
  });

  it('does not serve a token before its nbf, even if the clock goes back', async () => {
    const { clock, sign, decode } = setup();
    const token = sign({ nbf: NOW + 5 });
    assert.equal(await codeOf(decode(token)), 'TOKEN_NOT_YET_VALID');
    clock.now = NOW + 5;
    assert.equal(await codeOf(decode(token)), 'OK');
    clock.now = NOW + 4;
    assert.equal(await codeOf(decode(token)), 'TOKEN_NOT_YET_VALID');
  });

  it('holds at most maxEntries tokens; a token in use outlives unused ones', async () => {
    const { cache, sign, decode } = setup({}, 3);
    const tokens = Array.from({ length: 10 }, (_, i) => sign({ sid: `session-${i}` }));
    const hot = tokens[0]!;
    await decode(hot);
    for (const token of tokens.slice(1)) {
      await decode(token);
      await decode(hot);
      assert.ok(cache.size <= 3, `size ${cache.size}`);
    }
    const stats = cache.stats();
    assert.equal(stats.size, 3);
    assert.equal(stats.evictions, 7);
    assert.equal(stats.hits, 9, 'the token presented between the others was never evicted');
  });

  it('does not remember tokens that fail', async () => {
    const { cache, sign, decode, clock } = setup();
    clock.now = NOW + 1000;
    assert.equal(await codeOf(decode(sign())), 'TOKEN_EXPIRED');
    clock.now = NOW;
    assert.equal(await codeOf(decode(sign({ aud: ['elsewhere'] }))), 'TOKEN_CLAIM_INVALID');
    const [header, payload, signature] = sign().split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), uid: 'admin' })).toString(
      'base64url',
    );
    assert.equal(await codeOf(decode(`${header}.${forged}.${signature}`)), 'TOKEN_SIGNATURE_INVALID');
    assert.equal(cache.size, 0);
  });

  it('a tampered token never hits', async () => {
    const { cache, sign, decode } = setup();
    const token = sign();
    await decode(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), uid: 'admin' })).toString(
      'base64url',
    );
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    assert.equal(await codeOf(decode(`${header}.${forged}.${signature}`)), 'TOKEN_SIGNATURE_INVALID');
    assert.equal(await codeOf(decode(`${header}.${payload}.${flipped}`)), 'TOKEN_SIGNATURE_INVALID');
    assert.equal(await codeOf(decode(`${token}=`)), 'TOKEN_MALFORMED');
    assert.equal(await codeOf(decode(`${token}.`)), 'TOKEN_MALFORMED');
    assert.equal(cache.stats().hits, 0);
    assert.equal(cache.size, 1);
  });

  it('forgets what keys verified once they are reloaded or removed', async () => {
    const { cache, keys, settings, sign, decode } = setup({ privateKeys: { myapp: [next, current] } });
    const rotated = settings;
    const token = sign(); // signed with `next`, the current key
    await decode(token);
    await decode(token);
    assert.equal(cache.stats().hits, 1);

    keys.reload(rotated);
    assert.equal(await codeOf(decode(token)), 'OK', 'the same key file, reloaded: verified afresh');
    assert.equal(cache.stats().hits, 1);
    await decode(token);
    assert.equal(cache.stats().hits, 2);

    keys.reload(settingsOf({ privateKeys: { myapp: [current] } }));
    assert.equal(await codeOf(decode(token)), 'KEY_NOT_FOUND', 'its key is gone: refused although it was cached');
    assert.equal(cache.stats().hits, 2);
  });

  it('forgets what a JWKS key verified once the key set is fetched again', async () => {
    const { settings, keys, cache, sign, clock } = setup();
    let fetches = 0;
    const fetch = (async () => {
      fetches += 1;
      return new Response(JSON.stringify(keys.toJwks()), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const remote = new RemoteKeySet({
      issuers: { myapp: 'http://idp/jwks' },
      algorithms: ['RS256'],
      fetch,
      maxAge: 60_000,
      now: () => clock.now * 1000,
    });
    const token = sign();
    const decode = () => decodeJwtToken(token, { settings, keys: remote, cache, now: () => clock.now });
    await decode();
    await decode();
    assert.deepEqual([fetches, cache.stats().hits], [1, 1]);
    clock.now = NOW + 61;
    assert.equal(await codeOf(decode()), 'OK');
    assert.deepEqual([fetches, cache.stats().hits], [2, 1], 'refetched keys are new key objects: verified afresh');
    await decode();
    assert.equal(cache.stats().hits, 2);
  });

  it('serves a token only under the settings it was verified under', async () => {
    const { cache, keys, sign, decode } = setup();
    const token = sign({ aud: ['myapp'] });
    await decode(token);
    // Another service in the same process, with the same keys and (wrongly) the same cache.
    const other = settingsOf({ identity: 'otherapp', privateKeys: {}, publicKeys: { myapp: [current] } });
    assert.equal(await codeOf(decode(token, { settings: other })), 'TOKEN_CLAIM_INVALID', 'not meant for otherapp');
    const lenient = { ...settingsOf(), verifyExpiration: false };
    await decode(token, { settings: lenient });
    assert.equal(cache.stats().hits, 0);
    assert.equal(await codeOf(decode(token, { keys })), 'OK');
  });

  it('two services built with createSsoContext in one process do not share verifications', async () => {
    const settings = settingsOf();
    const keys = KeyStore.load(settings);
    const token = encodeJwtToken({ ...CLAIMS, aud: ['myapp'] }, { settings, keys });
    const myapp = createSsoContext({ settings, keys });
    const otherapp = createSsoContext({
      settings: settingsOf({ identity: 'otherapp', privateKeys: {}, publicKeys: { myapp: [current] } }),
      keys,
    });
    assert.equal((await myapp({ req: request(token) })).auth?.uid, 'user-1');
    assert.equal((await myapp({ req: request(token) })).auth?.uid, 'user-1');
    await assert.rejects(otherapp({ req: request(token) }), (error: unknown) => {
      assert.ok(error instanceof GraphQLError);
      assert.equal(error.extensions.reason, 'TOKEN_CLAIM_INVALID');
      return true;
    });
  });

  it('createSsoContext caches by default, sized by verifiedTokenCacheSize; 0 turns it off', async () => {
    const keys = KeyStore.load(settingsOf());
    const token = encodeJwtToken(CLAIMS, { settings: settingsOf(), keys });
    const on = createSsoContext({ settings: settingsOf(), keys });
    const a = (await on({ req: request(token) })).auth!;
    assert.equal((await on({ req: request(token) })).auth, a);
    assert.ok(Object.isFrozen(a));
    for (const off of [
      createSsoContext({ settings: settingsOf({ verifiedTokenCacheSize: 0 }), keys }),
      createSsoContext({ settings: settingsOf(), keys, tokenCache: null }),
    ]) {
      const b = (await off({ req: request(token) })).auth!;
      assert.notEqual((await off({ req: request(token) })).auth, b);
      assert.ok(!Object.isFrozen(b));
    }
  });

  it('never hides a revocation: the session check runs on every request', async () => {
    const settings = settingsOf();
    const keys = KeyStore.load(settings);
    const revoked = new Set<string>();
    const checked: string[] = [];
    const sessions: SessionAuthenticator = {
      authenticate: async (payload: TokenPayload) => {
        checked.push(payload.sid);
        if (revoked.has(payload.sid)) throw new AuthenticationError('SESSION_REVOKED', 'This session has been revoked.');
        return { id: payload.uid };
      },
    };
    const tokenCache = new VerifiedTokenCache();
    const authenticate = createSsoContext({ settings, keys, sessions, tokenCache });
    const token = encodeJwtToken(CLAIMS, { settings, keys });
    for (let i = 0; i < 3; i += 1) assert.deepEqual(await (await authenticate({ req: request(token) })).user, { id: 'user-1' });
    revoked.add('session-1');
    await assert.rejects(authenticate({ req: request(token) }), (error: unknown) => {
      assert.ok(error instanceof GraphQLError);
      assert.equal(error.extensions.reason, 'SESSION_REVOKED');
      assert.equal((error.extensions.http as { status: number }).status, 401);
      return true;
    });
    assert.deepEqual(checked, ['session-1', 'session-1', 'session-1', 'session-1']);
    assert.equal(tokenCache.stats().hits, 3, 'the token itself came from the cache');
  });

  it('createSsoContext reads and digests the header a connection repeats once, and still checks the key on every request', async () => {
    const settings = settingsOf();
    const keys = KeyStore.load(settings);
    const tokenCache = new VerifiedTokenCache();
    const digested: string[] = [];
    const idOf = tokenCache.idOf.bind(tokenCache);
    tokenCache.idOf = (token) => {
      digested.push(token);
      return idOf(token);
    };
    const authenticate = createSsoContext({ settings, keys, tokenCache });
    const alice = encodeJwtToken({ ...CLAIMS, uid: 'alice' }, { settings, keys });
    const bob = encodeJwtToken({ ...CLAIMS, uid: 'bob' }, { settings, keys });
    const socket = { remoteAddress: '192.0.2.1' };
    const on = (header: string, connection: object) =>
      ({ headers: { authorization: header }, socket: connection }) as unknown as IncomingMessage;
    const uidOn = async (header: string, connection: object) => (await authenticate({ req: on(header, connection) })).auth?.uid;

    for (let i = 0; i < 3; i += 1) assert.equal(await uidOn(`JWT ${alice}`, socket), 'alice');
    assert.deepEqual(digested, [alice], 'once for the connection');
    assert.equal(tokenCache.stats().hits, 2);
    assert.equal(await uidOn(`JWT ${alice}`, { remoteAddress: '192.0.2.2' }), 'alice');
    assert.equal(digested.length, 2, 'another connection reads its own');
    assert.equal(await uidOn(`JWT ${bob}`, socket), 'bob', 'a new header on the connection is read anew');
    assert.equal(await uidOn(`JWT ${alice}`, socket), 'alice');
    assert.deepEqual(digested.slice(2), [bob, alice], 'only the last header of a connection is remembered');

    for (let i = 0; i < 2; i += 1) {
      await assert.rejects(authenticate({ req: on(`JWT ${alice} ${bob}`, socket) }), (error: unknown) => {
        assert.ok(error instanceof GraphQLError);
        assert.equal(error.extensions.reason, 'AUTH_HEADER_INVALID', 'a refused header is refused every time');
        return true;
      });
    }
    assert.equal(digested.length, 4);

    assert.equal(await uidOn(`JWT ${alice}`, socket), 'alice');
    const misses = tokenCache.stats().misses;
    keys.reload(settings);
    assert.equal(await uidOn(`JWT ${alice}`, socket), 'alice');
    assert.equal(tokenCache.stats().misses, misses + 1, 'new key objects: verified afresh, though the connection repeats its header');
  });

  it('refuses a size that is not a whole number of 1 or more', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) assert.throws(() => new VerifiedTokenCache({ maxEntries }), RangeError);
  });
});
