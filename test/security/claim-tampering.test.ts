import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VerifiedTokenCache, decodeJwtToken } from '../../src/index.js';
import {
  OLD_KID,
  assertControlsAccepted,
  b64,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `token` with its payload replaced by `claims` (JSON), header and signature kept. */
function withPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.') as [string, string, string];
  return `${header}.${b64(claims)}.${signature}`;
}

/** `token` with its header replaced, payload and signature kept. */
function withHeader(token: string, header: Record<string, unknown> | string): string {
  const [, payload, signature] = token.split('.') as [string, string, string];
  return `${b64(header)}.${payload}.${signature}`;
}

/**
 * Every other spelling of the signature's last character that decodes to the same bytes (its
 * unused low bits set): the same signature, written differently.
 */
function sameBytesSpellings(token: string): string[] {
  const cut = token.lastIndexOf('.');
  const signature = token.slice(cut + 1);
  const spare = signature.length % 4 === 2 ? 0x0f : signature.length % 4 === 3 ? 0x03 : 0;
  const last = ALPHABET.indexOf(signature.at(-1)!);
  const spellings: string[] = [];
  for (let bits = 1; bits <= spare; bits += 1) spellings.push(`${token.slice(0, -1)}${ALPHABET[(last & ~spare) | bits]}`);
  return spellings;
}

/** Variants of a valid token an attacker can make without the key: each must be refused. */
function tamperedVariants(t: AttackTargets, token: string, claims: Record<string, unknown>): [string, string, string][] {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
  const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
  const other = token === t.session ? t.authorization : t.session;
  return [
    ['uid changed', withPayload(token, { ...claims, uid: '00000000-0000-4000-8000-000000000000' }), 'TOKEN_SIGNATURE_INVALID'],
    ['sid changed', withPayload(token, { ...claims, sid: '00000000-0000-4000-8000-000000000000' }), 'TOKEN_SIGNATURE_INVALID'],
    ['exp pushed back', withPayload(token, { ...claims, exp: 4_102_444_800 }), 'TOKEN_SIGNATURE_INVALID'],
    ...(claims.exp === undefined
      ? []
      : [['exp removed', withPayload(token, { ...claims, exp: undefined }), 'TOKEN_SIGNATURE_INVALID'] as [string, string, string]]),
    ['scopes added', withPayload(token, { ...claims, scopes: ['sso:admin', 'accounts:read-balance'] }), 'TOKEN_SIGNATURE_INVALID'],
    [
      'token type changed',
      withPayload(token, { ...claims, token: claims.token === 'session' ? 'auth' : 'session' }),
      'TOKEN_SIGNATURE_INVALID',
    ],
    ['audience widened', withPayload(token, { ...claims, aud: ['myapp', 'otherapp', 'elsewhere'] }), 'TOKEN_SIGNATURE_INVALID'],
    ['same claims re-serialized with spaces', `${header}.${b64(JSON.stringify(claims, null, 1))}.${signature}`, 'TOKEN_SIGNATURE_INVALID'],
    ['same claims re-ordered', withPayload(token, Object.fromEntries(Object.entries(claims).reverse())), 'TOKEN_SIGNATURE_INVALID'],
    ['signature of another token spliced', `${header}.${payload}.${other.split('.')[2]}`, 'TOKEN_SIGNATURE_INVALID'],
    ['payload of another token with this signature', `${header}.${other.split('.')[1]}.${signature}`, 'TOKEN_SIGNATURE_INVALID'],
    ['kid swapped to another listed key', withHeader(token, { ...headerJson, kid: OLD_KID }), 'TOKEN_SIGNATURE_INVALID'],
    ['kid removed (the current key)', withHeader(token, { ...headerJson, kid: undefined }), 'TOKEN_SIGNATURE_INVALID'],
    ['typ changed', withHeader(token, { ...headerJson, typ: 'at+jwt' }), 'TOKEN_SIGNATURE_INVALID'],
    ['header field added', withHeader(token, { ...headerJson, cty: 'JWT' }), 'TOKEN_SIGNATURE_INVALID'],
    ['first signature character flipped', `${header}.${payload}.${flip(signature, 0)}`, 'TOKEN_SIGNATURE_INVALID'],
    ['middle signature character flipped', `${header}.${payload}.${flip(signature, 100)}`, 'TOKEN_SIGNATURE_INVALID'],
    ['signature two characters short', token.slice(0, -2), 'TOKEN_SIGNATURE_INVALID'],
    ['signature one character short (impossible length)', token.slice(0, -1), 'TOKEN_MALFORMED'],
    ['signature with a character appended', `${token}A`, 'TOKEN_SIGNATURE_INVALID'],
    ['signature padded', `${token}==`, 'TOKEN_MALFORMED'],
    ...sameBytesSpellings(token).map((variant, i): [string, string, string] => [
      `signature spelled with stray bits (${i + 1})`,
      variant,
      'TOKEN_MALFORMED',
    ]),
  ];
}

/** RFC 8725 §3.1–3.4: nothing an attacker changes in a signed token is accepted, cached or not. */
describe('security: claim and header tampering', () => {
  let t: AttackTargets;
  before(async () => {
    t = await startAttackTargets();
  });
  after(() => t.close());

  it('the untampered tokens are accepted (control)', () => assertControlsAccepted(t));

  it('the variants are what they claim: stray-bit spellings decode to the very signature bytes', () => {
    const spellings = sameBytesSpellings(t.session);
    assert.ok(spellings.length >= 3, `an RS256 signature has spare bits: ${spellings.length}`);
    const bytes = Buffer.from(t.session.split('.')[2]!, 'base64url');
    for (const variant of spellings) assert.deepEqual(Buffer.from(variant.split('.')[2]!, 'base64url'), bytes);
  });

  it('decodeJwtToken refuses every tampered variant of a session and an authorization token', async () => {
    for (const [what, token, code] of tamperedVariants(t, t.session, t.sessionClaims))
      await refusedByDecode(token, t.identity, code, `session, ${what}`);
    for (const [what, token, code] of tamperedVariants(t, t.authorization, t.authorizationClaims))
      await refusedByDecode(token, t.subgraph, code, `authorization, ${what}`);
  });

  it('a cached valid token lets no tampered variant through, and the valid one still hits', async () => {
    const cache = new VerifiedTokenCache();
    const context = { ...t.identity, cache };
    assert.equal((await decodeJwtToken(t.session, context)).sid, t.sessionClaims.sid);
    assert.equal((await decodeJwtToken(t.session, context)).sid, t.sessionClaims.sid);
    assert.equal(cache.stats().hits, 1, 'the valid token is cached');
    for (const [what, token, code] of tamperedVariants(t, t.session, t.sessionClaims))
      await refusedByDecode(token, context, code, `cached, ${what}`);
    assert.deepEqual({ size: cache.size, hits: cache.stats().hits }, { size: 1, hits: 1 }, 'no variant hit, none was stored');
    await decodeJwtToken(t.session, context);
    assert.equal(cache.stats().hits, 2);
  });

  it('over HTTP, after the valid tokens were served (and cached by each service), every variant is answered 401', async () => {
    await assertControlsAccepted(t);
    for (const [what, token, code] of tamperedVariants(t, t.session, t.sessionClaims)) await refusedByIdentity(t, token, code, what);
    for (const [what, token, code] of tamperedVariants(t, t.authorization, t.authorizationClaims))
      await refusedBySubgraph(t, token, code, what);
    await assertControlsAccepted(t);
  });
});
