import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import {
  AuthenticationError,
  KeyStore,
  RemoteKeySet,
  createKeySource,
  decodeJwtToken,
  encodeJwtToken,
  resolveSettings,
  type KeySource,
  type SsoConfig,
  type UnsignedPayload,
} from '../../src/index.js';
import { createKeyDir, type TestKeyDir } from '../support/keys.js';

const NOW = 1_700_000_000;
const now = () => NOW;
const CLAIMS: UnsignedPayload = { token: 'auth', sid: 'session-1', uid: 'user-1' };

/** Counts jsonwebtoken's `decode` calls of graphql-sso (its `verify` decodes on its own) and its `verify` calls. */
function countCalls() {
  const counts = { decode: 0, verify: 0 };
  const { decode, verify } = jwt;
  const restore = () => Object.assign(jwt, { decode, verify });
  Object.assign(jwt, {
    decode: (...args: Parameters<typeof decode>) => ((counts.decode += 1), decode(...args)),
    verify: (...args: unknown[]) => ((counts.verify += 1), (verify as (...a: unknown[]) => unknown)(...args)),
  });
  return { counts, restore };
}

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: unknown) => {
      assert.ok(error instanceof AuthenticationError, String(error));
      return error.code;
    },
  );

/**
 * `decodeJwtToken` lets jsonwebtoken decode a token once where the key source tells the issuer
 * from the `kid` (`issuerOfKey`): the same verdicts and codes as choosing the key by `iss` and
 * `kid`, with one decoding for a valid token and one signature check for a forged one.
 */
describe('decodeJwtToken with the issuer told by the kid', () => {
  let dir: TestKeyDir;
  let calls: ReturnType<typeof countCalls>;
  let signer: KeyStore;
  const files: Record<string, string> = {};

  before(async () => {
    dir = createKeyDir();
    for (const name of ['myapp-1', 'myapp-2', 'partner-1']) files[name] = await dir.add(name);
    signer = KeyStore.load(settingsOf());
  });
  after(() => dir.remove());
  beforeEach(() => {
    calls = countCalls();
  });
  afterEach(() => calls.restore());

  const settingsOf = (config: SsoConfig = {}) =>
    resolveSettings({
      identity: 'myapp',
      keyStoreRoot: dir.root,
      privateKeys: { myapp: [files['myapp-1']!, files['myapp-2']!], partner: files['partner-1']! },
      ...config,
    });
  const sign = (claims: Record<string, unknown> = {}, issuer = 'myapp') =>
    encodeJwtToken({ ...CLAIMS, iss: issuer, ...claims } as UnsignedPayload, { settings: settingsOf(), keys: signer, now });

  it('a KeyStore tells the issuer of each kid it alone lists, and of no kid when it has one issuer', () => {
    const keys = KeyStore.load(settingsOf());
    assert.deepEqual(
      ['myapp-1', 'myapp-2', 'partner-1', 'nobody-1'].map((kid) => keys.issuerOfKey(kid)),
      ['myapp', 'myapp', 'partner', undefined],
    );
    assert.equal(keys.issuerOfKey(undefined), undefined, 'two issuers: no kid does not tell which');
    assert.equal(KeyStore.load(settingsOf({ privateKeys: { myapp: files['myapp-1']! } })).issuerOfKey(undefined), 'myapp');
    const shared = KeyStore.load(settingsOf({ privateKeys: { myapp: files['myapp-1']! }, publicKeys: { partner: files['myapp-1']! } }));
    assert.equal(shared.issuerOfKey('myapp-1'), undefined, 'a key file listed for two issuers tells neither');
  });

  it('a valid token is decoded once, by jsonwebtoken.verify, with a KeyStore and with a JWKS', async () => {
    const settings = settingsOf();
    const keys = KeyStore.load(settings);
    const token = sign();
    assert.equal((await decodeJwtToken(token, { settings, keys, now })).sid, 'session-1');
    assert.deepEqual(calls.counts, { decode: 0, verify: 1 });

    const fetch = (async () => new Response(JSON.stringify(keys.toJwks()))) as typeof globalThis.fetch;
    const remote = new RemoteKeySet({ issuers: { myapp: 'http://idp/jwks' }, algorithms: ['RS256'], fetch });
    assert.equal(remote.issuerOfKey('myapp-1'), undefined, 'nothing is known before the first fetch');
    assert.equal(await codeOf(decodeJwtToken(token, { settings, keys: remote, now })), 'OK');
    assert.deepEqual(
      [remote.issuerOfKey('myapp-1'), remote.issuerOfKey(undefined), remote.issuerOfKey('nobody-1')],
      ['myapp', 'myapp', undefined],
    );
    calls.counts.decode = 0;
    assert.equal(await codeOf(decodeJwtToken(sign({ sid: 'session-2' }), { settings, keys: remote, now })), 'OK');
    assert.equal(calls.counts.decode, 0);
  });

  it('without issuerOfKey the key is chosen by iss and kid: one more decoding, the same payload', async () => {
    const settings = settingsOf();
    const store = KeyStore.load(settings);
    const plain: KeySource = { getVerificationKey: (issuer, kid) => store.getVerificationKey(issuer, kid) };
    const token = sign({ account: '7' });
    assert.deepEqual(
      await decodeJwtToken(token, { settings, keys: plain, now }),
      await decodeJwtToken(token, { settings, keys: store, now }),
    );
    assert.deepEqual(calls.counts, { decode: 1, verify: 2 });
  });

  it('a forged signature is checked once, and refused with the code of the usual order', async () => {
    const settings = settingsOf();
    const keys = KeyStore.load(settings);
    const [header, payload, signature] = sign().split('.') as [string, string, string];
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), uid: 'admin' })).toString('base64url')}.${signature}`;
    assert.equal(await codeOf(decodeJwtToken(forged, { settings, keys, now })), 'TOKEN_SIGNATURE_INVALID');
    assert.deepEqual(calls.counts, { decode: 1, verify: 1 });
  });

  it("a token whose kid is another issuer's, or whose issuer is not accepted, gets the usual code", async () => {
    const keys = KeyStore.load(settingsOf());
    // Signed by myapp's key, claiming partner: partner has no key myapp-1.
    const crossed = jwt.sign({ ...CLAIMS, iss: 'partner', aud: ['myapp'], exp: NOW + 60 }, signer.getSigningKey('myapp').privateKey, {
      algorithm: 'RS256',
      keyid: 'myapp-1',
    });
    assert.equal(await codeOf(decodeJwtToken(crossed, { settings: settingsOf(), keys, now })), 'KEY_NOT_FOUND');
    const onlyPartner = settingsOf({ acceptedIssuers: ['partner'] });
    assert.equal(await codeOf(decodeJwtToken(sign(), { settings: onlyPartner, keys, now })), 'TOKEN_ISSUER_NOT_ACCEPTED');
    assert.equal(await codeOf(decodeJwtToken(sign({}, 'partner'), { settings: onlyPartner, keys, now })), 'OK');
  });

  it('a wrong answer of issuerOfKey costs time, never a wrong verdict', async () => {
    const settings = settingsOf();
    const store = KeyStore.load(settings);
    for (const lie of ['partner', 'myapp', 'nobody']) {
      const lying: KeySource = { getVerificationKey: (issuer, kid) => store.getVerificationKey(issuer, kid), issuerOfKey: () => lie };
      const context = { settings, keys: lying, now };
      assert.equal(await codeOf(decodeJwtToken(sign(), context)), 'OK', `told ${lie} for a token of myapp`);
      assert.equal(await codeOf(decodeJwtToken(sign({}, 'partner'), context)), 'OK', `told ${lie} for a token of partner`);
      const crossed = jwt.sign({ ...CLAIMS, iss: 'myapp', aud: ['myapp'], exp: NOW + 60 }, signer.getSigningKey('partner').privateKey, {
        algorithm: 'RS256',
        keyid: 'partner-1',
      });
      assert.equal(await codeOf(decodeJwtToken(crossed, context)), 'KEY_NOT_FOUND', `told ${lie} for partner's key claiming myapp`);
    }
  });

  it('createKeySource tells the issuer from the source that serves it', async () => {
    const identity = KeyStore.load(settingsOf());
    const fetch = (async () => new Response(JSON.stringify(identity.toJwks()))) as typeof globalThis.fetch;
    const settings = settingsOf({
      identity: 'otherapp',
      privateKeys: {},
      publicKeys: { partner: files['partner-1']!, myapp: files['myapp-1']! },
      jwksUrls: { myapp: 'http://idp/jwks' },
    });
    const keys = createKeySource(settings, { fetch });
    assert.equal(keys.issuerOfKey!('partner-1'), 'partner');
    assert.equal(keys.issuerOfKey!('myapp-1'), undefined, "myapp's keys come from its JWKS, not yet fetched, not from its file");
    await keys.getVerificationKey('myapp', 'myapp-1');
    assert.equal(keys.issuerOfKey!('myapp-1'), 'myapp');
  });
});
