import 'reflect-metadata';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import {
  createAuthorizationPayload,
  decodeJwtToken,
  encodeJwtToken,
  KeyStore,
  type EncodeJwtToken,
  type UnsignedPayload,
} from '../../src/index.js';
import { SigningThread } from '../../src/jwt/signing-thread.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const PASSWORD = 'correct horse battery staple';

describe('the signing thread of the identity service (signingThread)', () => {
  let sso: TestIdentity | undefined;
  afterEach(async () => {
    await sso?.close();
    sso = undefined;
  });

  /** Logs in and mints, and checks both tokens verify with the service's keys. */
  async function loginAndMint(identity: TestIdentity): Promise<{ session: string; authorization: string }> {
    await identity.createUser('alice', PASSWORD);
    const session = await identity.login('alice', PASSWORD);
    const minted = await identity.mint(session);
    const authorization = minted.body.data?.obtainAuthorizationToken?.token as string;
    assert.ok(authorization, JSON.stringify(minted.body));
    const context = { settings: identity.service.services.settings, keys: identity.service.services.keys };
    assert.equal((await decodeJwtToken(session, context)).token, 'session');
    assert.equal((await decodeJwtToken(authorization, context)).token, 'auth');
    return { session, authorization };
  }

  for (const signingThread of [true, false]) {
    it(`signingThread: ${signingThread} — ${signingThread ? 'on a thread' : 'on the event loop'}, the same tokens`, async () => {
      sso = await startIdentity({ signingThread });
      assert.equal(sso.service.services.signingThread instanceof SigningThread, signingThread);
      const { session, authorization } = await loginAndMint(sso);
      for (const claim of ['aud', 'exp', 'iat', 'iss', 'sid', 'token', 'uid']) assert.ok(claim in payloadOf(authorization), claim);
      assert.equal(payloadOf(session).uid, payloadOf(authorization).uid);
    });
  }

  it('signingThread: null — a thread where the machine has a core more than the processes serving', async () => {
    sso = await startIdentity({});
    assert.equal(sso.service.services.signingThread !== null, availableParallelism() > 1);
    assert.equal(SigningThread.forSetting(null, availableParallelism()), null);
    assert.ok(SigningThread.forSetting(true, availableParallelism()) instanceof SigningThread);
    assert.equal(SigningThread.forSetting(false, 1), null);
    await loginAndMint(sso);
  });

  it('a custom encodeJwtToken signs where it runs, for every token', async () => {
    const signed: string[] = [];
    const encode: EncodeJwtToken = (payload, context) => {
      signed.push(String(payload.token));
      return encodeJwtToken({ ...payload, custom: true } as UnsignedPayload, context);
    };
    sso = await startIdentity({ signingThread: true, encodeJwtToken: encode });
    const { session, authorization } = await loginAndMint(sso);
    assert.deepEqual(signed, ['session', 'auth']);
    assert.equal(payloadOf(session).custom, true);
    assert.equal(payloadOf(authorization).custom, true);
  });

  for (const signingThread of [true, false]) {
    it(`a payload jsonwebtoken refuses is answered alike (signingThread: ${signingThread}): an internal error`, async () => {
      sso = await startIdentity({
        signingThread,
        createAuthorizationPayload: (input) => ({ ...createAuthorizationPayload(input), exp: 'tomorrow' }) as unknown as UnsignedPayload,
      });
      await sso.createUser('alice', PASSWORD);
      const minted = await sso.mint(await sso.login('alice', PASSWORD));
      assert.equal(minted.body.data, null);
      assert.equal(minted.body.errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR');
      assert.equal(minted.body.errors?.[0]?.message, 'Internal server error.');
    });
  }

  it('signs with the keys reloaded into the service', async () => {
    sso = await startIdentity({ signingThread: true });
    await sso.createUser('alice', PASSWORD);
    const session = await sso.login('alice', PASSWORD);
    const newer = await sso.keys.add('myapp-20300101');
    const running = sso.service.services.settings;
    const settings = { ...running, privateKeys: { myapp: [newer, ...[running.privateKeys.myapp!].flat()] } };
    sso.service.reloadKeys(settings);
    assert.equal(KeyStore.load(settings).getSigningKey('myapp').kid, 'myapp-20300101');
    const minted = await sso.mint(session);
    const token = minted.body.data?.obtainAuthorizationToken?.token as string;
    assert.ok(token, JSON.stringify(minted.body));
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid, 'myapp-20300101');
  });
});
