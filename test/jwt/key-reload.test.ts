import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthenticationError,
  KeyStore,
  SettingsError,
  decodeJwtToken,
  encodeJwtToken,
  generateKeyPem,
  resolveSettings,
  type SsoConfig,
  type TokenContext,
  type UnsignedPayload,
} from '../../src/index.js';
import { startIdentity } from '../support/identity.js';
import { createKeyDir, type TestKeyDir } from '../support/keys.js';

const NOW = 1_700_000_000;
const now = () => NOW;
const CLAIMS: UnsignedPayload = { token: 'session', sid: 'session-1', uid: 'user-1' };

describe('KeyStore#reload', () => {
  let dir: TestKeyDir;
  let old: string;
  let fresh: string;
  let publicOnly: string;

  before(async () => {
    dir = createKeyDir();
    old = await dir.add('myapp-20250101');
    fresh = await dir.add('myapp-20260101');
    // Only the public part of a key, as a service that verifies tokens holds it.
    publicOnly = 'public-only.pem';
    const pem = await generateKeyPem();
    writeFileSync(join(dir.root, publicOnly), pem.slice(pem.indexOf('-----BEGIN PUBLIC KEY-----')));
  });
  after(() => dir.remove());

  const settingsOf = (config: SsoConfig) => resolveSettings({ identity: 'myapp', keyStoreRoot: dir.root, ...config });
  const contextOf = (keys: KeyStore, config: SsoConfig): TokenContext => ({ settings: settingsOf(config), keys, now });
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'OK';
    } catch (error) {
      assert.ok(error instanceof AuthenticationError, String(error));
      return error.code;
    }
  };

  it('swaps the signing key in the same object; tokens of older listed keys keep verifying', async () => {
    const before = { privateKeys: { myapp: [old] } };
    const keys = KeyStore.load(settingsOf(before));
    const oldToken = encodeJwtToken(CLAIMS, contextOf(keys, before));
    assert.equal(keys.getSigningKey('myapp').kid, 'myapp-20250101');

    const rotated = { privateKeys: { myapp: [fresh, old] } };
    keys.reload(settingsOf(rotated), { requireSigningKey: 'myapp' });
    assert.equal(keys.getSigningKey('myapp').kid, 'myapp-20260101');
    assert.deepEqual(
      keys.toJwks().keys.map((k) => k.kid),
      ['myapp-20260101', 'myapp-20250101'],
      'the JWKS lists the new key first',
    );

    const newToken = encodeJwtToken(CLAIMS, contextOf(keys, rotated));
    assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, 'myapp-20260101');
    assert.equal((await decodeJwtToken(oldToken, contextOf(keys, rotated))).sid, 'session-1');
    assert.equal((await decodeJwtToken(newToken, contextOf(keys, rotated))).sid, 'session-1');
  });

  it('refuses the tokens of a key no longer listed (KEY_NOT_FOUND)', async () => {
    const rotated = { privateKeys: { myapp: [fresh, old] } };
    const keys = KeyStore.load(settingsOf(rotated));
    const oldToken = encodeJwtToken(CLAIMS, contextOf(KeyStore.load(settingsOf({ privateKeys: { myapp: [old] } })), rotated));
    assert.equal(await codeOf(decodeJwtToken(oldToken, contextOf(keys, rotated))), 'OK');

    const retired = { privateKeys: { myapp: [fresh] } };
    keys.reload(settingsOf(retired));
    assert.equal(await codeOf(decodeJwtToken(oldToken, contextOf(keys, retired))), 'KEY_NOT_FOUND');
    assert.deepEqual(
      keys.toJwks().keys.map((k) => k.kid),
      ['myapp-20260101'],
    );
  });

  it('keeps publicKeys apart from privateKeys: a key listed only there verifies but never signs', async () => {
    const config = { privateKeys: { myapp: [fresh] }, publicKeys: { myapp: [fresh, old] } };
    const keys = KeyStore.load(settingsOf({ privateKeys: { myapp: [old] } }));
    const oldToken = encodeJwtToken(CLAIMS, contextOf(keys, { privateKeys: { myapp: [old] } }));
    keys.reload(settingsOf(config));
    assert.equal(keys.getSigningKey('myapp').kid, 'myapp-20260101');
    assert.equal(await codeOf(decodeJwtToken(oldToken, contextOf(keys, config))), 'OK');
  });

  it('a failing reload throws SettingsError and keeps every current key', async () => {
    const config = { privateKeys: { myapp: [fresh, old] } };
    const keys = KeyStore.load(settingsOf(config));
    const token = encodeJwtToken(CLAIMS, contextOf(keys, config));
    const jwks = JSON.stringify(keys.toJwks());
    const failures: [SsoConfig, { requireSigningKey?: string }, RegExp][] = [
      [{ privateKeys: { myapp: ['missing.pem', fresh] } }, {}, /missing\.pem: file not found/],
      [{ privateKeys: { myapp: [publicOnly] } }, {}, /holds no private key/],
      [
        { identity: 'other', privateKeys: { other: [fresh] } },
        { requireSigningKey: 'myapp' },
        /no private key is configured for issuer "myapp"/,
      ],
      [{ encodeAlgorithm: 'ES256', privateKeys: { myapp: [fresh] } }, {}, /ES256 cannot be used with the rsa key/],
    ];
    for (const [bad, options, message] of failures) {
      assert.throws(
        () => keys.reload(settingsOf(bad), options),
        (error: unknown) => {
          assert.ok(error instanceof SettingsError, String(error));
          assert.equal(error.code, 'INVALID_SETTINGS');
          assert.match(error.message, message);
          return true;
        },
      );
      assert.equal(keys.getSigningKey('myapp').kid, 'myapp-20260101');
      assert.equal(JSON.stringify(keys.toJwks()), jwks);
      assert.equal(await codeOf(decodeJwtToken(token, contextOf(keys, config))), 'OK');
    }
  });
});

describe('IdentityService#reloadKeys', () => {
  it('publishes the new keys on /.well-known/jwks.json and signs logins with the new key', async () => {
    const sso = await startIdentity({ passwordHashRounds: 4 });
    try {
      const settings = sso.service.services.settings;
      const current = [settings.privateKeys.myapp].flat();
      await sso.createUser('alice', 'alice-password');
      const oldToken = await sso.login('alice', 'alice-password');
      const next = await sso.keys.add('myapp-20990101');
      const jwks = async () =>
        ((await (await fetch(`${sso.origin}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

      // Refused: the identity's private key list is gone, and an EC key does not suit RS256.
      assert.throws(
        () => sso.service.reloadKeys({ ...settings, privateKeys: { other: [next] } }),
        /no private key is configured for issuer "myapp"/,
      );
      const ec = await sso.keys.add('myapp-ec', 'ES256');
      assert.throws(() => sso.service.reloadKeys({ ...settings, privateKeys: { myapp: [ec] } }), /RS256 cannot be used with the ec key/);
      assert.deepEqual(await jwks(), ['myapp-20200410']);

      sso.service.reloadKeys({ ...settings, privateKeys: { myapp: [next, ...current] }, publicKeys: { myapp: [next, ...current] } });
      assert.deepEqual(await jwks(), ['myapp-20990101', 'myapp-20200410']);
      const newToken = await sso.login('alice', 'alice-password');
      assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, 'myapp-20990101');
      for (const token of [oldToken, newToken]) {
        assert.deepEqual((await sso.graphql('{ me { username } }', { token })).body.data, { me: { username: 'alice' } });
      }

      // Retire the old key: its tokens are refused.
      sso.service.reloadKeys({ ...settings, privateKeys: { myapp: [next] }, publicKeys: { myapp: [next] } });
      const refused = await sso.graphql('{ me { username } }', { token: oldToken });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(refused.body.errors?.[0]?.message ?? '', /Unauthorized token signing key/);
    } finally {
      await sso.close();
    }
  });
});
