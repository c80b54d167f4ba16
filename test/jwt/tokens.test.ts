import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sign, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphQLError } from 'graphql';
import {
  AuthenticationError,
  JwtClaimError,
  JwtExpiredError,
  KeyError,
  KeyStore,
  SsoError,
  createAuthorizationPayload,
  createSessionPayload,
  createSsoContext,
  decodeJwtToken,
  encodeJwtToken,
  generateKeyPem,
  resolveSettings,
  type KeySource,
  type PayloadInput,
  type SsoConfig,
  type SsoSettings,
  type TokenContext,
  type TokenPayload,
  type TokenSettings,
  type UnsignedPayload,
} from '../../src/index.js';
import * as claims from '../../src/jwt/claims.js';
import { headerOf, payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const NOW = 1_700_000_000;
const now = () => NOW;
const KID = 'myapp-20200410';
const SESSION: UnsignedPayload = { token: 'session', sid: 'session-1', uid: 'user-1' };
const AUTHORIZATION: UnsignedPayload = { token: 'auth', sid: 'session-1', uid: 'user-1' };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let root: string;
const keyFiles: Record<string, string> = {};

/** Resolved settings for identity `myapp` with its key, a key store, and a fixed clock. */
function context(config: SsoConfig = {}): { settings: SsoSettings; keys: KeyStore; now: () => number } {
  const settings = resolveSettings({ identity: 'myapp', keyStoreRoot: root, privateKeys: { myapp: keyFiles.myapp! }, ...config });
  return { settings, keys: KeyStore.load(settings), now };
}

/** An RS256 token with any header and payload, signed with `key` (default: myapp's current key). */
function craft(payload: unknown, { header = {}, key }: { header?: Record<string, unknown>; key?: KeyObject } = {}): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: KID, ...header })}.${b64(payload)}`;
  const signer = key ?? context().keys.getSigningKey('myapp').privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), signer).toString('base64url')}`;
}

const valid = (extra: Record<string, unknown> = {}) => ({ ...SESSION, iss: 'myapp', aud: ['myapp'], iat: NOW, ...extra });

async function refused(token: string, ctx: TokenContext, expected: { code: string; claim?: string; reason?: string; message?: RegExp }) {
  await assert.rejects(decodeJwtToken(token, ctx), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError, `expected an AuthenticationError, got ${String(error)}`);
    assert.equal(error.code, expected.code, error.message);
    if (expected.claim !== undefined) {
      assert.ok(error instanceof JwtClaimError, `expected a JwtClaimError, got ${error.name}`);
      assert.equal(error.claim, expected.claim);
      if (expected.reason) assert.equal(error.reason, expected.reason);
    }
    if (expected.message) assert.match(error.message, expected.message);
    return true;
  });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'sso-tokens-'));
  for (const [issuer, name] of [
    ['myapp', KID],
    ['partner', 'partner-20200101'],
    ['stranger', 'stranger-20200101'],
  ]) {
    keyFiles[issuer!] = `${name}.pem`;
    writeFileSync(join(root, `${name}.pem`), await generateKeyPem('RS256'), { mode: 0o600 });
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('claims and payload factories', () => {
  const input = (session: Partial<PayloadInput['sessionToken']>, user: PayloadInput['user'], args: Record<string, unknown> = {}) =>
    ({ sessionToken: { id: 'session-1', clientId: '', ...session }, user, args, settings: resolveSettings() }) as PayloadInput;

  it('names the claims as django-rest-framework-sso does', () => {
    assert.deepEqual(
      {
        TOKEN_TYPE: claims.TOKEN_TYPE,
        TOKEN_SESSION: claims.TOKEN_SESSION,
        TOKEN_AUTHORIZATION: claims.TOKEN_AUTHORIZATION,
        ISSUER: claims.ISSUER,
        SUBJECT: claims.SUBJECT,
        AUDIENCE: claims.AUDIENCE,
        EXPIRATION_TIME: claims.EXPIRATION_TIME,
        NOT_BEFORE_TIME: claims.NOT_BEFORE_TIME,
        ISSUED_AT: claims.ISSUED_AT,
        JWT_ID: claims.JWT_ID,
        SESSION_ID: claims.SESSION_ID,
        CLIENT_ID: claims.CLIENT_ID,
        USER_ID: claims.USER_ID,
        EMAIL: claims.EMAIL,
        SCOPES: claims.SCOPES,
        KEY_ID: claims.KEY_ID,
      },
      {
        TOKEN_TYPE: 'token',
        TOKEN_SESSION: 'session',
        TOKEN_AUTHORIZATION: 'auth',
        ISSUER: 'iss',
        SUBJECT: 'sub',
        AUDIENCE: 'aud',
        EXPIRATION_TIME: 'exp',
        NOT_BEFORE_TIME: 'nbf',
        ISSUED_AT: 'iat',
        JWT_ID: 'jti',
        SESSION_ID: 'sid',
        CLIENT_ID: 'cid',
        USER_ID: 'uid',
        EMAIL: 'email',
        SCOPES: 'scopes',
        KEY_ID: 'kid',
      },
    );
  });

  it('createSessionPayload: token "session", sid, cid, uid, email, and nothing else', () => {
    assert.deepEqual(createSessionPayload(input({ clientId: 'web' }, { id: 'user-1', email: 'alice@example.com' })), {
      token: 'session',
      sid: 'session-1',
      cid: 'web',
      uid: 'user-1',
      email: 'alice@example.com',
    });
  });

  it('createAuthorizationPayload: token "auth" and the same claims; arguments are not copied into the token', () => {
    assert.deepEqual(
      createAuthorizationPayload(input({ clientId: 'web' }, { id: 'user-1', email: 'alice@example.com' }, { account: '1' })),
      {
        token: 'auth',
        sid: 'session-1',
        cid: 'web',
        uid: 'user-1',
        email: 'alice@example.com',
      },
    );
  });

  it('leaves out an empty client id, keeps a numeric user id a number, gives a missing email as null', () => {
    for (const create of [createSessionPayload, createAuthorizationPayload]) {
      const payload = create(input({}, { id: 42 }));
      assert.deepEqual(payload, { token: create === createSessionPayload ? 'session' : 'auth', sid: 'session-1', uid: 42, email: null });
      assert.equal('cid' in payload, false);
    }
  });
});

describe('encodeJwtToken', () => {
  it('session token: iss and aud from identity, iat now, no exp by default, kid of the current key', () => {
    const token = encodeJwtToken(SESSION, context()) as string;
    assert.deepEqual(headerOf(token), { alg: 'RS256', typ: 'JWT', kid: KID });
    assert.deepEqual(payloadOf(token), { ...SESSION, iss: 'myapp', aud: ['myapp'], iat: NOW });
  });

  it('session token: exp = iat + sessionExpiration when it is set', () => {
    const payload = payloadOf(encodeJwtToken(SESSION, context({ sessionExpiration: 3600 })) as string);
    assert.equal(payload.iat, NOW);
    assert.equal(payload.exp, NOW + 3600);
  });

  it('authorization token: exp - iat = 300 by default, authorizationExpiration otherwise', () => {
    const standard = payloadOf(encodeJwtToken(AUTHORIZATION, context()) as string);
    assert.equal(standard.iat, NOW);
    assert.equal(standard.exp - standard.iat, 300);
    const longer = payloadOf(encodeJwtToken(AUTHORIZATION, context({ authorizationExpiration: 900, sessionExpiration: 60 })) as string);
    assert.equal(longer.exp - longer.iat, 900);
  });

  it('aud: sessionAudience for session tokens, authorizationAudience for authorization tokens, else [identity]', () => {
    const both = context({ sessionAudience: ['myapp', 'admin'], authorizationAudience: ['myapp', 'otherapp'] });
    assert.deepEqual(payloadOf(encodeJwtToken(SESSION, both) as string).aud, ['myapp', 'admin']);
    assert.deepEqual(payloadOf(encodeJwtToken(AUTHORIZATION, both) as string).aud, ['myapp', 'otherapp']);
    const onlyAuthorization = context({ authorizationAudience: 'otherapp' as unknown as string[] });
    assert.deepEqual(payloadOf(encodeJwtToken(SESSION, onlyAuthorization) as string).aud, ['myapp']);
    assert.deepEqual(payloadOf(encodeJwtToken(AUTHORIZATION, onlyAuthorization) as string).aud, ['otherapp']);
  });

  it('keeps iss, aud, exp and iat that the payload sets, and does not change the payload object', () => {
    const payload: UnsignedPayload = { ...AUTHORIZATION, iss: 'myapp', aud: 'otherapp', exp: NOW + 5, iat: NOW - 10, account: '7' };
    const copy = structuredClone(payload);
    assert.deepEqual(payloadOf(encodeJwtToken(payload, context()) as string), payload);
    assert.deepEqual(payload, copy);
  });

  it('leaves out exp and nbf that the payload sets to undefined (no lifetime), as JSON would', () => {
    const payload = payloadOf(encodeJwtToken({ ...SESSION, exp: undefined, nbf: undefined }, context()) as string);
    assert.deepEqual(payload, { ...SESSION, iss: 'myapp', aud: ['myapp'], iat: NOW });
    assert.equal(payloadOf(encodeJwtToken({ ...AUTHORIZATION, exp: undefined }, context()) as string).exp, NOW + 300);
  });

  it("signs with encodeAlgorithm and the issuer's current key", async () => {
    writeFileSync(join(root, 'myapp-ec.pem'), await generateKeyPem('ES256'));
    const ctx = context({
      encodeAlgorithm: 'ES256',
      decodeAlgorithms: ['ES256', 'RS256'],
      privateKeys: { myapp: ['myapp-ec.pem', keyFiles.myapp!] },
    });
    const token = encodeJwtToken(SESSION, ctx) as string;
    assert.deepEqual(headerOf(token), { alg: 'ES256', typ: 'JWT', kid: 'myapp-ec' });
    assert.equal(Buffer.from(token.split('.')[2]!, 'base64url').length, 64, 'ES256 signatures are r||s, 64 bytes');
    assert.equal((await decodeJwtToken(token, ctx)).sid, 'session-1');
  });

  it('refuses what it cannot issue', () => {
    assert.throws(
      () => encodeJwtToken({ ...SESSION, token: 'refresh' as 'session' }, context()),
      (e: unknown) => e instanceof SsoError && e.code === 'TOKEN_TYPE_INVALID' && e.message === 'Unknown token type "refresh".',
    );
    const nameless = resolveSettings({});
    const keys = context().keys;
    assert.throws(() => encodeJwtToken(SESSION, { settings: nameless, keys }), {
      code: 'INVALID_SETTINGS',
      message: 'Setting "identity" is required to issue tokens.',
    });
    assert.throws(() => encodeJwtToken({ ...SESSION, iss: 'myapp' }, { settings: nameless, keys }), {
      code: 'INVALID_SETTINGS',
      message: /"sessionAudience" or "identity"/,
    });
    assert.equal(
      payloadOf(encodeJwtToken({ ...SESSION, iss: 'myapp', aud: ['myapp'] }, { settings: nameless, keys }) as string).iss,
      'myapp',
    );
    assert.throws(
      () => encodeJwtToken({ ...SESSION, iss: 'otherapp' }, context()),
      (e: unknown) => e instanceof KeyError && e.code === 'KEY_NOT_FOUND' && /"otherapp"/.test(e.message),
    );
    const verifyOnly: KeySource = { getVerificationKey: () => context().keys.getVerificationKey('myapp', undefined) };
    assert.throws(() => encodeJwtToken(SESSION, { settings: context().settings, keys: verifyOnly }), {
      code: 'KEY_NOT_FOUND',
      message: 'This key source cannot sign tokens.',
    });
  });
});

describe('decodeJwtToken', () => {
  it('returns the verified payload as it was signed', async () => {
    const ctx = context({ authorizationAudience: ['myapp', 'otherapp'] });
    const token = encodeJwtToken({ ...AUTHORIZATION, email: 'alice@example.com', scopes: ['accounts:read'], account: '7' }, ctx) as string;
    const payload: TokenPayload = await decodeJwtToken(token, ctx);
    assert.deepEqual(payload, {
      ...AUTHORIZATION,
      email: 'alice@example.com',
      scopes: ['accounts:read'],
      account: '7',
      iss: 'myapp',
      aud: ['myapp', 'otherapp'],
      exp: NOW + 300,
      iat: NOW,
    });
  });

  it('accepts a token laid out byte for byte as PyJWT writes it for django-rest-framework-sso', async () => {
    // Header keys sorted, separators (",", ":"), non-ASCII escaped (json.dumps' ensure_ascii).
    const header = `{"alg":"RS256","kid":"${KID}","typ":"JWT"}`;
    const payload = `{"token":"session","sid":"session-1","uid":42,"email":"zo\\u00eb@example.com","iss":"myapp","aud":["myapp"],"iat":${NOW},"exp":${NOW + 60}}`;
    const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), context().keys.getSigningKey('myapp').privateKey).toString('base64url')}`;
    assert.deepEqual(await decodeJwtToken(token, context()), {
      token: 'session',
      sid: 'session-1',
      uid: 42,
      email: 'zoë@example.com',
      iss: 'myapp',
      aud: ['myapp'],
      iat: NOW,
      exp: NOW + 60,
    });
  });

  it('refuses tokens that are not a compact JWS with a JSON object header and payload', async () => {
    const ctx = context();
    const good = encodeJwtToken(SESSION, ctx) as string;
    const [h, p, s] = good.split('.') as [string, string, string];
    const malformed = [
      'not-a-token',
      'a.b',
      `${good}.extra`,
      `${h}.${p}.not base64`,
      `${h}+.${p}.${s}`,
      `${Buffer.from('{"alg":').toString('base64url')}.${p}.${s}`,
      `${b64([1, 2])}.${p}.${s}`,
      `${h}.${Buffer.from('not json').toString('base64url')}.${s}`,
      craft([valid()]),
      craft('a string payload'),
      craft(null),
      craft(valid(), { header: { crit: ['exp'] } }),
      craft(valid(), { header: { kid: 5 } }),
    ];
    for (const token of malformed) await refused(token, ctx, { code: 'TOKEN_MALFORMED', message: /^Error decoding token: / });
  });

  describe('checks in a fixed order; the first failure is reported', () => {
    const stranger = () =>
      context({ privateKeys: { myapp: keyFiles.myapp!, stranger: keyFiles.stranger! } }).keys.getSigningKey('stranger').privateKey;

    it('a missing iss before anything that needs the key', async () => {
      const payload = { ...valid(), iss: undefined, exp: NOW - 10, token: 'refresh' };
      await refused(craft(payload, { key: stranger(), header: { kid: 'nope', alg: 'HS256' } }), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'iss',
        reason: 'missing',
      });
      await refused(craft(valid({ iss: '' })), context(), { code: 'TOKEN_CLAIM_INVALID', claim: 'iss', reason: 'missing' });
    });

    it('an issuer not accepted before the key lookup and the signature', async () => {
      const ctx = context({ acceptedIssuers: ['myapp'] });
      await refused(craft(valid({ iss: 'stranger', exp: NOW - 10 }), { key: stranger(), header: { kid: 'nope' } }), ctx, {
        code: 'TOKEN_ISSUER_NOT_ACCEPTED',
        claim: 'iss',
        reason: 'check_failed',
        message: /^Token issuer is not accepted\.$/,
      });
    });

    it('an unknown key before the algorithm', async () => {
      await refused(craft(valid(), { header: { kid: 'myapp-29990101', alg: 'HS256' } }), context(), { code: 'KEY_NOT_FOUND' });
      await refused(craft(valid({ iss: 'nobody' }), { header: { alg: 'HS256' } }), context(), {
        code: 'KEY_NOT_FOUND',
        message: /^Unauthorized token signing key\.$/,
      });
    });

    it('the algorithm before the signature', async () => {
      await refused(craft(valid(), { header: { alg: 'PS256' }, key: stranger() }), context(), {
        code: 'TOKEN_ALGORITHM_NOT_ALLOWED',
        message: /"PS256" is not allowed/,
      });
    });

    it('the signature before any claim', async () => {
      const payload = { ...valid({ exp: NOW - 10, aud: ['otherapp'], token: 'refresh' }), sid: undefined };
      await refused(craft(payload, { key: stranger() }), context(), {
        code: 'TOKEN_SIGNATURE_INVALID',
        message: /^Token signature is invalid\.$/,
      });
      const good = encodeJwtToken(SESSION, context()) as string;
      const [h, , s] = good.split('.');
      await refused(`${h}.${b64(valid({ uid: 'user-2' }))}.${s}`, context(), { code: 'TOKEN_SIGNATURE_INVALID' });
    });

    it('the token type before the required claims', async () => {
      const payload = { ...valid({ token: 'refresh', exp: NOW - 10, aud: ['otherapp'] }), sid: undefined };
      await refused(craft(payload), context(), { code: 'TOKEN_TYPE_INVALID', claim: 'token', reason: 'invalid' });
      await refused(craft({ ...valid(), token: undefined }), context(), { code: 'TOKEN_TYPE_INVALID', claim: 'token' });
    });

    it('required claims (sid, uid, exp of an authorization token, then the types of exp/nbf/iat and scopes) before audience and time', async () => {
      const late = { exp: NOW - 10, aud: ['otherapp'], nbf: NOW + 100 };
      await refused(craft({ ...valid(late), sid: undefined, uid: undefined }), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'sid',
        reason: 'missing',
        message: /"sid"/,
      });
      await refused(craft({ ...valid(late), uid: undefined }), context(), { code: 'TOKEN_CLAIM_INVALID', claim: 'uid', reason: 'missing' });
      await refused(craft({ ...valid({ ...late, token: 'auth' }), exp: undefined, iat: 'now' }), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'exp',
        reason: 'missing',
      });
      await refused(craft({ ...valid(late), exp: 'tomorrow' }), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'exp',
        reason: 'invalid',
      });
      await refused(craft({ ...valid(late), scopes: 'accounts:read' }), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'scopes',
        reason: 'invalid',
      });
    });

    it('the audience before not-before and expiry', async () => {
      await refused(craft(valid({ exp: NOW - 10, nbf: NOW + 100, aud: ['otherapp'] })), context(), {
        code: 'TOKEN_CLAIM_INVALID',
        claim: 'aud',
        reason: 'check_failed',
        message: /invalid audience/,
      });
    });

    it('not-before before expiry', async () => {
      await refused(craft(valid({ exp: NOW - 10, nbf: NOW + 100 })), context(), {
        code: 'TOKEN_NOT_YET_VALID',
        claim: 'nbf',
        reason: 'check_failed',
      });
    });

    it('expiry last: a JwtExpiredError, which is a JwtClaimError and an AuthenticationError', async () => {
      await assert.rejects(decodeJwtToken(craft(valid({ exp: NOW - 10 })), context()), (error: unknown) => {
        assert.ok(error instanceof JwtExpiredError);
        assert.ok(error instanceof JwtClaimError);
        assert.ok(error instanceof AuthenticationError);
        assert.equal(error.code, 'TOKEN_EXPIRED');
        assert.equal(error.claim, 'exp');
        assert.equal(error.reason, 'check_failed');
        assert.equal(error.message, 'Token has expired.');
        return true;
      });
    });
  });

  it('checks the required claims: token type, sid, uid and the claim types', async () => {
    const ctx = context();
    const cases: [Record<string, unknown>, string, string, string][] = [
      [{ token: 'refresh' }, 'TOKEN_TYPE_INVALID', 'token', 'invalid'],
      [{ token: 'SESSION' }, 'TOKEN_TYPE_INVALID', 'token', 'invalid'],
      [{ sid: null }, 'TOKEN_CLAIM_INVALID', 'sid', 'missing'],
      [{ sid: '' }, 'TOKEN_CLAIM_INVALID', 'sid', 'invalid'],
      [{ sid: 5 }, 'TOKEN_CLAIM_INVALID', 'sid', 'invalid'],
      [{ uid: null }, 'TOKEN_CLAIM_INVALID', 'uid', 'missing'],
      [{ uid: '' }, 'TOKEN_CLAIM_INVALID', 'uid', 'invalid'],
      [{ uid: 1.5 }, 'TOKEN_CLAIM_INVALID', 'uid', 'invalid'],
      [{ uid: true }, 'TOKEN_CLAIM_INVALID', 'uid', 'invalid'],
      [{ iat: 'now' }, 'TOKEN_CLAIM_INVALID', 'iat', 'invalid'],
      [{ nbf: '1' }, 'TOKEN_CLAIM_INVALID', 'nbf', 'invalid'],
      [{ scopes: [1] }, 'TOKEN_CLAIM_INVALID', 'scopes', 'invalid'],
      [{ aud: undefined }, 'TOKEN_CLAIM_INVALID', 'aud', 'check_failed'],
      [{ token: 'auth' }, 'TOKEN_CLAIM_INVALID', 'exp', 'missing'],
      [{ token: 'auth', exp: null }, 'TOKEN_CLAIM_INVALID', 'exp', 'missing'],
      [{ token: 'auth', exp: '9999999999' }, 'TOKEN_CLAIM_INVALID', 'exp', 'invalid'],
    ];
    for (const [change, code, claim, reason] of cases) await refused(craft(valid(change)), ctx, { code, claim, reason });
    assert.equal((await decodeJwtToken(craft(valid({ uid: 42 })), ctx)).uid, 42, 'a numeric user id is accepted');
    assert.equal((await decodeJwtToken(craft(valid({ token: 'auth', exp: NOW + 300 })), ctx)).token, 'auth');
    assert.equal((await decodeJwtToken(craft(valid({ aud: 'myapp' })), ctx)).aud, 'myapp', 'aud may be a single string');
    assert.equal((await decodeJwtToken(craft(valid({ exp: undefined })), ctx)).exp, undefined, 'a session token need not expire');
    // An authorization token must: subgraphs trust it without asking the identity service, even
    // where expiry is not checked.
    await refused(craft(valid({ token: 'auth' })), context({ verifyExpiration: false }), {
      code: 'TOKEN_CLAIM_INVALID',
      claim: 'exp',
      reason: 'missing',
      message: /^Token is missing the "exp" claim\.$/,
    });
  });

  it('honours expirationLeeway for exp and nbf, with the same bounds as PyJWT', async () => {
    const expired = craft(valid({ exp: NOW - 5 }));
    await refused(expired, context(), { code: 'TOKEN_EXPIRED' });
    await refused(expired, context({ expirationLeeway: 5 }), { code: 'TOKEN_EXPIRED' });
    assert.equal((await decodeJwtToken(expired, context({ expirationLeeway: 6 }))).sid, 'session-1');
    await refused(craft(valid({ exp: NOW })), context(), { code: 'TOKEN_EXPIRED' });
    assert.equal((await decodeJwtToken(craft(valid({ exp: NOW + 1 })), context())).sid, 'session-1');

    const early = craft(valid({ nbf: NOW + 5 }));
    await refused(early, context({ expirationLeeway: 4 }), { code: 'TOKEN_NOT_YET_VALID' });
    assert.equal((await decodeJwtToken(early, context({ expirationLeeway: 5 }))).sid, 'session-1');
    assert.equal((await decodeJwtToken(craft(valid({ nbf: NOW })), context())).sid, 'session-1');
  });

  it('verifyExpiration false accepts an expired token but still checks nbf; verifyAudience false accepts another audience', async () => {
    const loose = context({ verifyExpiration: false });
    assert.equal((await decodeJwtToken(craft(valid({ exp: NOW - 3600 })), loose)).exp, NOW - 3600);
    await refused(craft(valid({ exp: NOW - 3600, nbf: NOW + 60 })), loose, { code: 'TOKEN_NOT_YET_VALID' });
    const anyAudience = context({ verifyAudience: false });
    assert.deepEqual((await decodeJwtToken(craft(valid({ aud: ['otherapp'] })), anyAudience)).aud, ['otherapp']);
    await refused(craft(valid({ aud: ['otherapp'], exp: NOW - 1 })), anyAudience, { code: 'TOKEN_EXPIRED' });
  });

  it('verifySignature false skips key and signature checks, not the claims', async () => {
    const unchecked = context({ verifySignature: false });
    const stranger = context({ privateKeys: { myapp: keyFiles.myapp!, stranger: keyFiles.stranger! } }).keys.getSigningKey(
      'stranger',
    ).privateKey;
    assert.equal((await decodeJwtToken(craft(valid(), { key: stranger, header: { kid: 'unknown' } }), unchecked)).sid, 'session-1');
    await refused(craft(valid(), { key: stranger, header: { kid: 'unknown' } }), context(), { code: 'KEY_NOT_FOUND' });
    await refused(craft(valid({ exp: NOW - 1 }), { key: stranger }), unchecked, { code: 'TOKEN_EXPIRED' });
  });

  it('acceptedIssuers: null accepts any issuer with a configured key; a list accepts only the issuers it names', async () => {
    const keys = { myapp: keyFiles.myapp!, partner: keyFiles.partner! };
    const partnerKey = context({ privateKeys: keys }).keys.getSigningKey('partner').privateKey;
    const partnerToken = craft(valid({ iss: 'partner' }), { key: partnerKey, header: { kid: 'partner-20200101' } });
    assert.equal((await decodeJwtToken(partnerToken, context({ privateKeys: keys }))).iss, 'partner');
    await refused(partnerToken, context({ privateKeys: keys, acceptedIssuers: ['myapp'] }), {
      code: 'TOKEN_ISSUER_NOT_ACCEPTED',
      claim: 'iss',
    });
    assert.equal(
      (await decodeJwtToken(partnerToken, context({ privateKeys: keys, acceptedIssuers: ['myapp', 'partner'] }))).iss,
      'partner',
    );
    await refused(craft(valid()), context({ acceptedIssuers: 'partner' as unknown as string[] }), { code: 'TOKEN_ISSUER_NOT_ACCEPTED' });
    await refused(partnerToken, context(), { code: 'KEY_NOT_FOUND' });
  });
});

describe('the token layer on its own', () => {
  it('encodes and decodes with TokenSettings alone; SsoSettings is one', async () => {
    const settings: TokenSettings = {
      identity: 'myapp',
      acceptedIssuers: ['myapp'],
      encodeAlgorithm: 'RS256',
      decodeAlgorithms: null,
      verifySignature: true,
      verifyExpiration: true,
      verifyAudience: true,
      expirationLeeway: 0,
      sessionExpiration: null,
      authorizationExpiration: 60,
      sessionAudience: null,
      authorizationAudience: ['myapp', 'otherapp'],
      keyStoreRoot: root,
      publicKeys: {},
      privateKeys: { myapp: keyFiles.myapp! },
      jwksUrls: {},
    };
    const ctx = { settings, keys: KeyStore.load(settings), now };
    const token = encodeJwtToken(AUTHORIZATION, ctx);
    assert.deepEqual(await decodeJwtToken(token, ctx), {
      ...AUTHORIZATION,
      iss: 'myapp',
      aud: ['myapp', 'otherapp'],
      exp: NOW + 60,
      iat: NOW,
    });
    const full: SsoSettings = resolveSettings({ identity: 'myapp' });
    const asTokenSettings: TokenSettings = full;
    assert.equal(asTokenSettings.identity, 'myapp');
  });
});

describe('settings hooks are used in place of the built-in functions', () => {
  const request = (authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, socket: { remoteAddress: '192.0.2.1' } }) as unknown as IncomingMessage;

  it('createSsoContext calls settings.decodeJwtToken and settings.authenticatePayload', async () => {
    const seen: { token: string; settings: TokenSettings }[] = [];
    const base = context();
    const settings = resolveSettings({
      ...base.settings,
      decodeJwtToken: (token, ctx) => {
        seen.push({ token, settings: ctx.settings });
        if (token === 'reject-me') throw new AuthenticationError('TOKEN_MALFORMED', 'Custom decoder refused it.');
        return { ...SESSION, iss: 'custom', decodedBy: 'hook' } as unknown as TokenPayload;
      },
      authenticatePayload: (payload, ctx) => ({ name: `user of ${payload.iss}`, ip: ctx.request?.ip }),
    });
    const build = createSsoContext<{ name: string; ip: string }>({ settings, keys: base.keys });
    const ctx = await build({ req: request('JWT any-opaque-token') });
    assert.deepEqual(
      seen.map((s) => s.token),
      ['any-opaque-token'],
    );
    assert.equal(seen[0]!.settings, settings);
    assert.equal(ctx.auth?.decodedBy, 'hook');
    assert.deepEqual(await ctx.user, { name: 'user of custom', ip: '192.0.2.1' });
    assert.equal(ctx.token, 'any-opaque-token');

    await assert.rejects(build({ req: request('JWT reject-me') }), (error: unknown) => {
      assert.ok(error instanceof GraphQLError);
      assert.equal(error.message, 'Custom decoder refused it.');
      assert.equal(error.extensions.code, 'UNAUTHENTICATED');
      assert.equal(error.extensions.reason, 'TOKEN_MALFORMED');
      assert.equal((error.extensions.http as { status: number }).status, 401);
      return true;
    });
    const anonymous = await build({ req: request() });
    assert.deepEqual(
      { ...anonymous, user: await anonymous.user },
      { auth: null, user: null, token: null, request: { ip: '192.0.2.1', userAgent: '' } },
    );
    assert.equal(seen.length, 2, 'no header: the decoder is not called');
  });

  describe('the identity service issues and checks tokens through the hooks', () => {
    let sso: TestIdentity;
    const calls: string[] = [];

    before(async () => {
      sso = await startIdentity({
        createSessionPayload: (input) => ({ ...createSessionPayload(input), tenant: 'acme' }),
        createAuthorizationPayload: (input) => ({ ...createAuthorizationPayload(input), scopes: ['reports:read'] }),
        encodeJwtToken: (payload, ctx) => {
          calls.push(`encode:${payload.token}`);
          return encodeJwtToken({ ...payload, jti: `jti-${calls.length}` }, ctx);
        },
        decodeJwtToken: async (token, ctx) => {
          const payload = await decodeJwtToken(token, ctx);
          calls.push(`decode:${payload.token}`);
          if (payload.token === 'session' && payload.tenant !== 'acme')
            throw new AuthenticationError('TOKEN_CLAIM_INVALID', 'Wrong tenant.');
          return payload;
        },
      });
      await sso.createUser('alice', 'alice-password');
    });
    after(() => sso.close());

    it('uses the custom payload and encode hooks at login and minting, and the decode hook on requests', async () => {
      const session = await sso.login('alice', 'alice-password');
      assert.equal(payloadOf(session).tenant, 'acme');
      assert.equal(payloadOf(session).jti, 'jti-1');
      assert.deepEqual(calls, ['encode:session']);

      const minted = await sso.mint(session);
      assert.equal(minted.status, 200, JSON.stringify(minted.body));
      const authorization = payloadOf(minted.body.data!.obtainAuthorizationToken.token);
      assert.deepEqual(authorization.scopes, ['reports:read']);
      assert.equal(authorization.jti, 'jti-3');
      assert.deepEqual(calls, ['encode:session', 'decode:session', 'encode:auth']);

      const me = await sso.graphql('{ me { username } }', { token: session });
      assert.deepEqual(me.body.data, { me: { username: 'alice' } });
      assert.equal(calls.at(-1), 'decode:session');

      const { settings, keys } = sso.service.services;
      const otherTenant = encodeJwtToken({ ...payloadOf(session), tenant: 'other', jti: undefined } as UnsignedPayload, {
        settings: { ...settings },
        keys,
      }) as string;
      const refusedByHook = await sso.graphql('{ me { username } }', { token: otherTenant });
      assert.equal(refusedByHook.status, 401);
      assert.equal(refusedByHook.body.errors?.[0]?.message, 'Wrong tenant.');
    });
  });
});
