import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwtToken } from '../../src/index.js';
import {
  KID,
  assertControlsAccepted,
  assertRefusedOverHttp,
  b64,
  craft,
  rawRequest,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  signerFor,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

const HEADER = { alg: 'RS256', typ: 'JWT', kid: KID };
const now = () => Math.floor(Date.now() / 1000);

/** The session token's claims as raw JSON text with `exp` (or another claim) spelled as given. */
const withRawClaim = (claims: Record<string, unknown>, name: string, raw: string) =>
  `${JSON.stringify({ ...claims, [name]: undefined }).slice(0, -1)},"${name}":${raw}}`;

/**
 * RFC 8725 §3.2–3.4, RFC 7515 §5.2, RFC 7519 §7.2: anything but a compact JWS of three
 * canonical base64url parts, a UTF-8 JSON object header without unknown `crit`, and a UTF-8 JSON
 * object payload with well-typed claims, is refused as what it is — never a 500.
 */
describe('security: malformed encodings', () => {
  let t: AttackTargets;
  before(async () => {
    t = await startAttackTargets();
  });
  after(() => t.close());

  /** Signed by the issuer's real key: only the encoding is at fault. */
  const signed = (header: unknown, payload: unknown) => craft(header, payload, signerFor('RS256', t.keys.current));

  /** Refused by decodeJwtToken at both services and over HTTP at both, with this code. */
  async function refusedEverywhere(what: string, session: string, authorization: string, code: string) {
    await refusedByDecode(session, t.identity, code, what);
    await refusedByDecode(authorization, t.subgraph, code, what);
    await refusedByIdentity(t, session, code, what);
    await refusedBySubgraph(t, authorization, code, what);
  }

  it('the untampered tokens are accepted (control)', () => assertControlsAccepted(t));

  it('not three parts: one, two, four or five parts, empty parts', async () => {
    const [h, p, s] = t.session.split('.') as [string, string, string];
    for (const token of [
      'abc',
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${p}.${s}`,
      '..',
      `.${p}.${s}`,
      `${h}..${s}`,
      '.',
      `${t.session}.`,
    ]) {
      await refusedEverywhere(token.slice(0, 30), token, token, 'TOKEN_MALFORMED');
    }
  });

  it('base64 that is not base64url: "+", "/", "=" padding, standard base64 of the same JSON', async () => {
    const [h, p, s] = t.session.split('.') as [string, string, string];
    const standard = (part: string) => Buffer.from(part, 'base64url').toString('base64');
    const tokens = [
      `${h.slice(0, -1)}+.${p}.${s}`,
      `${h}.${p.slice(0, -1)}/.${s}`,
      `${h}.${p}.${s.slice(0, -1)}+`,
      `${h}=.${p}.${s}`,
      `${h}.${p}==.${s}`,
      `${h}.${p}.${s}=`,
      `${standard(h)}.${standard(p)}.${standard(s)}`,
      `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`,
    ].filter((token) => token !== t.session);
    for (const token of tokens) {
      await refusedByDecode(token, t.identity, 'TOKEN_MALFORMED', token.slice(-20));
      await refusedByIdentity(t, token, 'TOKEN_MALFORMED', token.slice(-20));
    }
  });

  it('header or payload that is not JSON, or JSON that is not an object', async () => {
    const notJson = [
      'not json',
      '{"alg":"RS256"',
      '{"alg":"RS256"}x',
      "{'alg':'RS256'}",
      '{"alg":"RS256",}',
      '{/*c*/"alg":"RS256"}',
      '\uFEFF{"alg":"RS256"}',
      '',
    ];
    const notObjects = ['[]', '[{"alg":"RS256"}]', '42', 'null', 'true', '"RS256"'];
    for (const text of [...notJson, ...notObjects]) {
      await refusedEverywhere(`header ${text}`, signed(text, t.sessionClaims), signed(text, t.authorizationClaims), 'TOKEN_MALFORMED');
      await refusedEverywhere(`payload ${text}`, signed(HEADER, text), signed(HEADER, text), 'TOKEN_MALFORMED');
    }
  });

  it('bytes that are not UTF-8 in the header or payload, even under a valid signature', async () => {
    const json = (text: string, bytes: number[]) =>
      Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from(bytes), Buffer.from(text.slice(-2))]);
    const sessionJson = JSON.stringify({ ...t.sessionClaims, email: 'alice@example.com' });
    const authorizationJson = JSON.stringify({ ...t.authorizationClaims, email: 'alice@example.com' });
    const invalid: [string, number[]][] = [
      ['a lone 0xff', [0xff]],
      ['latin-1 é', [0xe9]],
      ['an overlong "/"', [0xc0, 0xaf]],
      ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
      ['a truncated sequence', [0xe2, 0x82]],
    ];
    for (const [what, bytes] of invalid) {
      await refusedEverywhere(
        `payload with ${what}`,
        signed(HEADER, json(sessionJson, bytes)),
        signed(HEADER, json(authorizationJson, bytes)),
        'TOKEN_MALFORMED',
      );
      const header = json(JSON.stringify({ ...HEADER, x: 'ab' }), bytes);
      await refusedEverywhere(
        `header with ${what}`,
        signed(header, t.sessionClaims),
        signed(header, t.authorizationClaims),
        'TOKEN_MALFORMED',
      );
    }
    // Control: real UTF-8 beyond ASCII is fine.
    const zoe = signed(HEADER, { ...t.sessionClaims, email: 'zoë@例え.jp' });
    assert.equal((await decodeJwtToken(zoe, t.identity)).email, 'zoë@例え.jp');
  });

  it('bytes that are not UTF-8 or not printable in the Authorization header itself: 400 or 401, never accepted or 500', async () => {
    const [h, p, s] = t.session.split('.') as [string, string, string];
    const variants: [string, Buffer][] = [
      ['a latin-1 byte in the token', Buffer.concat([Buffer.from(`JWT ${h}.${p}`), Buffer.from([0xe9]), Buffer.from(`.${s}`)])],
      ['a UTF-8 character in the token', Buffer.from(`JWT ${h}.${p}é.${s}`)],
      ['a NUL in the token', Buffer.from(`JWT ${h}.${p}\u0000.${s}`)],
      ['a NUL after the token', Buffer.from(`JWT ${t.session}\u0000`)],
      ['a tab in the token', Buffer.from(`JWT ${h}.\t${p}.${s}`)],
      ['a vertical tab in the token', Buffer.from(`JWT ${h}.${p}\u000b.${s}`)],
    ];
    for (const url of [t.sso.url, t.subgraphUrl]) {
      for (const [what, header] of variants) {
        const { status, text } = await rawRequest(url, header, '{ __typename }');
        assert.ok(status === 400 || status === 401, `${what} at ${url}: HTTP ${status}`);
        assert.doesNotMatch(text, /"__typename"/, `${what}: answered`);
      }
    }
  });

  it('whitespace around or inside the token', async () => {
    const [h, p, s] = t.session.split('.') as [string, string, string];
    for (const token of [
      ` ${t.session}`,
      `${t.session} `,
      `${t.session}\n`,
      `${h}. ${p}.${s}`,
      `${h}.${p}\n.${s}`,
      `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`,
    ]) {
      await refusedByDecode(token, t.identity, 'TOKEN_MALFORMED', JSON.stringify(token.slice(-12)));
    }
    // Over HTTP the header splits on whitespace: a token with a space inside is two words.
    assertRefusedOverHttp(await t.askIdentity(`JWT ${h}. ${p}.${s}`), 'AUTH_HEADER_INVALID', 'space inside');
    assertRefusedOverHttp(await t.askSubgraph(`JWT ${h}.${p} .${s}`), 'AUTH_HEADER_INVALID', 'space inside');
  });

  it('huge segments are refused, not a crash: by decodeJwtToken at any size, over HTTP with 401 or 431', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const attacker = signerFor('RS256', t.keys.attacker);
    await refusedByDecode(craft(HEADER, { ...t.sessionClaims, big }, attacker), t.identity, 'TOKEN_SIGNATURE_INVALID', '1 MiB payload');
    await refusedByDecode(craft({ ...HEADER, big }, t.sessionClaims, attacker), t.identity, 'TOKEN_SIGNATURE_INVALID', '1 MiB header');
    await refusedByDecode(`${t.session}${'A'.repeat(1024 * 1024)}`, t.identity, 'TOKEN_SIGNATURE_INVALID', '1 MiB signature');
    await refusedByDecode(craft({ ...HEADER, kid: big }, t.sessionClaims, attacker), t.identity, 'KEY_NOT_FOUND', '1 MiB kid');
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    await refusedByDecode(
      craft(HEADER, `{"iss":"myapp","a":${nested}}`, attacker),
      t.identity,
      'TOKEN_SIGNATURE_INVALID',
      'deeply nested payload',
    );

    // Under limits.maxTokenLength (8192) a large token reaches the signature check; over it, it is
    // refused before any decoding.
    const large = craft(HEADER, { ...t.sessionClaims, big: 'x'.repeat(5000) }, attacker);
    await refusedByIdentity(t, large, 'TOKEN_SIGNATURE_INVALID', '7 KB token');
    await refusedBySubgraph(t, large, 'TOKEN_SIGNATURE_INVALID', '7 KB token');
    const overLimit = craft(HEADER, { ...t.sessionClaims, big: 'x'.repeat(9000) }, attacker);
    await refusedByIdentity(t, overLimit, 'TOKEN_TOO_LONG', '12 KB token');
    await refusedBySubgraph(t, overLimit, 'TOKEN_TOO_LONG', '12 KB token');
    const tooLarge = `JWT ${craft(HEADER, { ...t.sessionClaims, big: 'x'.repeat(64 * 1024) }, attacker)}`;
    for (const url of [t.sso.url, t.subgraphUrl]) {
      const { status } = await rawRequest(url, Buffer.from(tooLarge));
      assert.equal(status, 431, `a 90 KB header at ${url}: Node refuses it before any token code runs`);
    }
  });

  it('numeric claims spelled as strings, or as other JSON types', async () => {
    const cases: [string, unknown][] = [
      ['exp', String(now() + 3600)],
      ['exp', '9999999999'],
      ['exp', null],
      ['exp', true],
      ['exp', [now() + 3600]],
      ['exp', { $gt: 0 }],
      ['nbf', '0'],
      ['iat', String(now())],
      ['iat', ''],
    ];
    for (const [claim, value] of cases) {
      await refusedEverywhere(
        `${claim}: ${JSON.stringify(value)}`,
        signed(HEADER, { ...t.sessionClaims, [claim]: value }),
        signed(HEADER, { ...t.authorizationClaims, [claim]: value }),
        'TOKEN_CLAIM_INVALID',
      );
    }
  });

  it('exp as a fraction, past, NaN, Infinity or beyond a double', async () => {
    const fraction = now() + 3600.5;
    assert.equal(
      (await decodeJwtToken(signed(HEADER, { ...t.sessionClaims, exp: fraction }), t.identity)).exp,
      fraction,
      'control: NumericDate may have a fraction',
    );
    await refusedEverywhere(
      'exp in the past, with a fraction',
      signed(HEADER, { ...t.sessionClaims, exp: now() - 0.5 }),
      signed(HEADER, { ...t.authorizationClaims, exp: now() - 0.5 }),
      'TOKEN_EXPIRED',
    );
    await refusedEverywhere(
      'exp -1',
      signed(HEADER, { ...t.sessionClaims, exp: -1 }),
      signed(HEADER, { ...t.authorizationClaims, exp: -1 }),
      'TOKEN_EXPIRED',
    );
    for (const raw of ['NaN', 'Infinity', '-Infinity', '0x7fffffff', '1e', '+1']) {
      await refusedEverywhere(
        `exp ${raw}`,
        signed(HEADER, withRawClaim(t.sessionClaims, 'exp', raw)),
        signed(HEADER, withRawClaim(t.authorizationClaims, 'exp', raw)),
        'TOKEN_MALFORMED',
      );
    }
    // 1e400 is valid JSON that parses to Infinity: not a NumericDate.
    await refusedEverywhere(
      'exp 1e400',
      signed(HEADER, withRawClaim(t.sessionClaims, 'exp', '1e400')),
      signed(HEADER, withRawClaim(t.authorizationClaims, 'exp', '1e400')),
      'TOKEN_CLAIM_INVALID',
    );
  });

  it('nbf in the future is refused; iat in the future is not a validity bound (RFC 7519 §4.1.6), iat not a number is', async () => {
    await refusedEverywhere(
      'nbf in an hour',
      signed(HEADER, { ...t.sessionClaims, nbf: now() + 3600 }),
      signed(HEADER, { ...t.authorizationClaims, nbf: now() + 3600 }),
      'TOKEN_NOT_YET_VALID',
    );
    await refusedEverywhere(
      'nbf 1e400',
      signed(HEADER, withRawClaim(t.sessionClaims, 'nbf', '1e400')),
      signed(HEADER, withRawClaim(t.authorizationClaims, 'nbf', '1e400')),
      'TOKEN_CLAIM_INVALID',
    );
    // Only the issuer can sign an iat; forging one breaks the signature like any claim.
    const [h, , s] = t.session.split('.') as [string, string, string];
    await refusedByDecode(`${h}.${b64({ ...t.sessionClaims, iat: now() + 3600 })}.${s}`, t.identity, 'TOKEN_SIGNATURE_INVALID');
    const futureIat = signed(HEADER, { ...t.sessionClaims, iat: now() + 3600 });
    assert.equal((await t.askIdentity(`JWT ${futureIat}`)).body.data?.me?.username, 'alice');
    await refusedEverywhere(
      'iat 1e400',
      signed(HEADER, withRawClaim(t.sessionClaims, 'iat', '1e400')),
      signed(HEADER, withRawClaim(t.authorizationClaims, 'iat', '1e400')),
      'TOKEN_CLAIM_INVALID',
    );
  });

  it('a crit header is refused, whatever it lists (RFC 7515 §4.1.11: no extension is understood)', async () => {
    for (const crit of [['exp'], ['b64'], ['urn:example:unknown'], [], 'b64', ['kid']]) {
      const header = { ...HEADER, crit, b64: false, 'urn:example:unknown': true };
      await refusedEverywhere(
        `crit ${JSON.stringify(crit)}`,
        signed(header, t.sessionClaims),
        signed(header, t.authorizationClaims),
        'TOKEN_MALFORMED',
      );
    }
  });
});
