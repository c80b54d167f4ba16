import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KeyStore,
  SsoError,
  decodeJwtToken,
  encodeJwtToken,
  generateKeyPem,
  resolveSettings,
  type SsoConfig,
  type UnsignedPayload,
} from '../../src/index.js';
import { SigningThread } from '../../src/jwt/signing-thread.js';
import { headerOf } from '../support/identity.js';

const NOW = 1_700_000_000;
const now = () => NOW;
const SESSION: UnsignedPayload = { token: 'session', sid: 'session-1', uid: 'user-1' };

let root: string;

function context(config: SsoConfig = {}) {
  const settings = resolveSettings({ identity: 'myapp', keyStoreRoot: root, privateKeys: { myapp: 'myapp-1.pem' }, ...config });
  return { settings, keys: KeyStore.load(settings), now };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'sso-signing-thread-'));
  for (const name of ['myapp-1', 'myapp-2']) writeFileSync(join(root, `${name}.pem`), await generateKeyPem('RS256'), { mode: 0o600 });
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('SigningThread', () => {
  const thread = new SigningThread();
  after(() => thread.close());

  it('signs the token encodeJwtToken signs, verifiable as any other', async () => {
    const ctx = context();
    const token = await thread.encode({ ...SESSION, email: 'a@example.com' }, ctx);
    assert.equal(token, encodeJwtToken({ ...SESSION, email: 'a@example.com' }, ctx));
    assert.deepEqual(headerOf(token), { alg: 'RS256', typ: 'JWT', kid: 'myapp-1' });
    const payload = await decodeJwtToken(token, ctx);
    assert.equal(payload.email, 'a@example.com');
    assert.deepEqual(payload.aud, ['myapp']);
  });

  it('signs many tokens at once, each answered with its own', async () => {
    const ctx = context();
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => thread.encode({ ...SESSION, sid: `session-${i}` }, ctx)));
    for (const [i, token] of tokens.entries()) assert.equal((await decodeJwtToken(token, ctx)).sid, `session-${i}`);
  });

  it('signs with the key of the context it is given: a rotated key is used at once', async () => {
    const first = await thread.encode(SESSION, context());
    const rotated = await thread.encode(SESSION, context({ privateKeys: { myapp: ['myapp-2.pem', 'myapp-1.pem'] } }));
    assert.equal(headerOf(first).kid, 'myapp-1');
    assert.equal(headerOf(rotated).kid, 'myapp-2');
  });

  it("refuses what encodeJwtToken refuses, with its errors: the payload's and jsonwebtoken's", async () => {
    await assert.rejects(thread.encode({ ...SESSION, token: 'other' }, context()), (error: unknown) => {
      assert.ok(error instanceof SsoError);
      assert.equal(error.code, 'TOKEN_TYPE_INVALID');
      return true;
    });
    await assert.rejects(thread.encode(SESSION, context({ identity: 'partner', privateKeys: {} })), { code: 'KEY_NOT_FOUND' });
    const notANumber = { ...SESSION, exp: 'tomorrow' } as unknown as UnsignedPayload;
    assert.throws(() => encodeJwtToken(notANumber, context()), /"exp" should be a number of seconds/);
    await assert.rejects(thread.encode(notANumber, context()), /"exp" should be a number of seconds/);
  });

  it('refuses the tokens it was signing when closed, and starts again for the next', async () => {
    const ctx = context();
    const signing = Promise.allSettled(Array.from({ length: 20 }, () => thread.encode(SESSION, ctx)));
    await thread.close();
    const outcomes = await signing;
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.ok(refused.length > 0, 'some tokens were still being signed');
    for (const outcome of refused) assert.match(String(outcome.reason), /signing thread was closed/);
    assert.equal((await decodeJwtToken(await thread.encode(SESSION, ctx), ctx)).sid, 'session-1');
  });
});
