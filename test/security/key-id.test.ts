import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { createKeySource, decodeJwtToken, resolveSettings } from '../../src/index.js';
import {
  KID,
  OLD_KID,
  PARTNER_KID,
  UNLISTED_KID,
  assertControlsAccepted,
  b64,
  craft,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  signerFor,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

/**
 * RFC 8725 §3.10: `kid` is attacker-controlled input. It only ever selects among the keys the
 * settings list for the token's issuer; it never names a file, a path or a query.
 */
describe('security: key-id tricks', () => {
  let t: AttackTargets;
  before(async () => {
    t = await startAttackTargets();
  });
  after(() => t.close());

  it('the untampered tokens are accepted, and so are tokens of the older listed key (control)', async () => {
    await assertControlsAccepted(t);
    const old = craft({ alg: 'RS256', kid: OLD_KID }, t.sessionClaims, signerFor('RS256', t.keys.old));
    assert.equal((await decodeJwtToken(old, t.identity)).sid, t.sessionClaims.sid);
    assert.equal((await t.askIdentity(`JWT ${old}`)).body.data?.me?.username, 'alice');
  });

  it('an unknown kid is refused (KEY_NOT_FOUND), whoever signed', async () => {
    for (const key of [t.keys.attacker, t.keys.current]) {
      const session = craft({ alg: 'RS256', kid: 'myapp-29990101' }, t.sessionClaims, signerFor('RS256', key));
      const authorization = craft({ alg: 'RS256', kid: 'myapp-29990101' }, t.authorizationClaims, signerFor('RS256', key));
      await refusedByDecode(session, t.identity, 'KEY_NOT_FOUND');
      await refusedByDecode(authorization, t.subgraph, 'KEY_NOT_FOUND');
      await refusedByIdentity(t, session, 'KEY_NOT_FOUND');
      await refusedBySubgraph(t, authorization, 'KEY_NOT_FOUND');
    }
  });

  it('a kid that is a path (traversal, absolute, with .pem, naming the real key file) finds no key', async () => {
    const root = t.sso.keys.root;
    const paths = [
      '../../etc/passwd',
      '/etc/passwd',
      '/dev/null',
      `${KID}.pem`,
      `./${KID}`,
      `../${basename(root)}/${KID}`,
      join(root, KID),
      join(root, `${KID}.pem`),
      `${KID}/../${KID}`,
      `..\\..\\${KID}`,
      'file:///etc/passwd',
    ];
    for (const kid of paths) {
      // Signed with the real key: only the kid is wrong, and it must not lead anywhere.
      const token = craft({ alg: 'RS256', kid }, t.sessionClaims, signerFor('RS256', t.keys.current));
      await refusedByDecode(token, t.identity, 'KEY_NOT_FOUND', kid);
      await refusedByIdentity(t, token, 'KEY_NOT_FOUND', kid);
      await refusedBySubgraph(
        t,
        craft({ alg: 'RS256', kid }, t.authorizationClaims, signerFor('RS256', t.keys.current)),
        'KEY_NOT_FOUND',
        kid,
      );
    }
  });

  it('unknown kids do not make the subgraph refetch the JWKS more than once per cooldown', async () => {
    const before = t.jwksFetches();
    for (let i = 0; i < 20; i += 1) {
      await refusedBySubgraph(
        t,
        craft({ alg: 'RS256', kid: `myapp-2999${String(i).padStart(4, '0')}` }, t.authorizationClaims, signerFor('RS256', t.keys.attacker)),
        'KEY_NOT_FOUND',
      );
    }
    assert.ok(t.jwksFetches() - before <= 1, `${t.jwksFetches() - before} fetches for 20 unknown kids`);
    assert.ok(t.jwksFetches() >= 1, 'the subgraph did fetch the key set (it verified the control)');
  });

  it('a kid naming a key file in keyStoreRoot that no setting lists is refused', async () => {
    const token = craft({ alg: 'RS256', kid: UNLISTED_KID }, t.sessionClaims, signerFor('RS256', t.keys.unlisted));
    await refusedByDecode(token, t.identity, 'KEY_NOT_FOUND');
    await refusedByIdentity(t, token, 'KEY_NOT_FOUND');
    await refusedBySubgraph(
      t,
      craft({ alg: 'RS256', kid: UNLISTED_KID }, t.authorizationClaims, signerFor('RS256', t.keys.unlisted)),
      'KEY_NOT_FOUND',
    );
  });

  it("a kid of another issuer's key: keys are looked up per issuer", async () => {
    // iss myapp, signed by partner with partner's kid: partner's key never verifies myapp's tokens.
    const asMyapp = craft({ alg: 'RS256', kid: PARTNER_KID }, t.sessionClaims, signerFor('RS256', t.keys.partner));
    await refusedByDecode(asMyapp, t.identity, 'KEY_NOT_FOUND');
    await refusedByIdentity(t, asMyapp, 'KEY_NOT_FOUND');
    await refusedBySubgraph(
      t,
      craft({ alg: 'RS256', kid: PARTNER_KID }, t.authorizationClaims, signerFor('RS256', t.keys.partner)),
      'KEY_NOT_FOUND',
    );
    // iss partner with myapp's kid, signed by myapp: myapp's key never verifies partner's tokens.
    const asPartner = craft({ alg: 'RS256', kid: KID }, { ...t.sessionClaims, iss: 'partner' }, signerFor('RS256', t.keys.current));
    await refusedByDecode(asPartner, t.identity, 'KEY_NOT_FOUND');
    await refusedByIdentity(t, asPartner, 'KEY_NOT_FOUND');
    // The subgraph does not accept partner at all: refused before any key is looked up.
    await refusedBySubgraph(
      t,
      craft({ alg: 'RS256', kid: KID }, { ...t.authorizationClaims, iss: 'partner' }, signerFor('RS256', t.keys.current)),
      'TOKEN_ISSUER_NOT_ACCEPTED',
    );
  });

  it('a kid with SQL, NUL, control characters, unicode, prototype names or 10,000 characters finds no key', async () => {
    const kids = [
      "' OR '1'='1",
      `${KID}'; DROP TABLE users; --`,
      `${KID}\u0000`,
      `${KID}\u0000.pem`,
      '\u0000',
      `${KID}\n`,
      ` ${KID}`,
      `${KID.toUpperCase()}`,
      'myapp-2020０410',
      '',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'a'.repeat(10_000),
    ];
    for (const kid of kids) {
      const what = JSON.stringify(kid.slice(0, 40));
      await refusedByDecode(
        craft({ alg: 'RS256', kid }, t.sessionClaims, signerFor('RS256', t.keys.current)),
        t.identity,
        'KEY_NOT_FOUND',
        what,
      );
      await refusedByDecode(
        craft({ alg: 'RS256', kid }, t.authorizationClaims, signerFor('RS256', t.keys.current)),
        t.subgraph,
        'KEY_NOT_FOUND',
        what,
      );
    }
    // 5,000 characters keep the whole token under limits.maxTokenLength (8192), so the key lookup is reached.
    for (const kid of ["' OR '1'='1", `${KID}\u0000`, '__proto__', 'a'.repeat(5_000)]) {
      await refusedByIdentity(t, craft({ alg: 'RS256', kid }, t.sessionClaims, signerFor('RS256', t.keys.current)), 'KEY_NOT_FOUND');
      await refusedBySubgraph(t, craft({ alg: 'RS256', kid }, t.authorizationClaims, signerFor('RS256', t.keys.current)), 'KEY_NOT_FOUND');
    }
  });

  it('an issuer named like an object property finds no key, in a key store and in a JWKS key source (no fetch)', async () => {
    let fetches = 0;
    const settings = resolveSettings({
      identity: 'otherapp',
      verifySessionToken: false,
      jwksUrls: { myapp: 'http://127.0.0.1:9/jwks.json' },
    });
    const keys = createKeySource(settings, { fetch: async () => (fetches++, new Response('{"keys":[]}')) });
    for (const iss of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const token = craft({ alg: 'RS256', kid: KID }, { ...t.sessionClaims, iss }, signerFor('RS256', t.keys.current));
      await refusedByDecode(token, t.identity, 'KEY_NOT_FOUND', iss);
      await refusedByDecode(token, { settings, keys }, 'KEY_NOT_FOUND', iss);
      await refusedByIdentity(t, token, 'KEY_NOT_FOUND', iss);
    }
    assert.equal(fetches, 0, 'no key set was fetched for a made-up issuer');
  });

  it('a kid that is not a string (number, object, list, null, boolean) is malformed', async () => {
    for (const kid of [5, 20200410, { $ne: null }, [KID], null, true]) {
      const token = craft({ alg: 'RS256', kid }, t.sessionClaims, signerFor('RS256', t.keys.current));
      await refusedByDecode(token, t.identity, 'TOKEN_MALFORMED', JSON.stringify(kid));
      await refusedByIdentity(t, token, 'TOKEN_MALFORMED', JSON.stringify(kid));
      await refusedBySubgraph(
        t,
        craft({ alg: 'RS256', kid }, t.authorizationClaims, signerFor('RS256', t.keys.current)),
        'TOKEN_MALFORMED',
        JSON.stringify(kid),
      );
    }
  });

  it('duplicate header names: the last one counts (RFC 7515 §4), consistently for the key and the algorithm', async () => {
    const signer = signerFor('RS256', t.keys.current);
    // An attacker hoping a checker reads the first member and the verifier the last, or the reverse.
    const lastIsNone = craft(`{"alg":"RS256","kid":"${KID}","alg":"none"}`, t.sessionClaims, signer);
    await refusedByDecode(lastIsNone, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedByIdentity(t, lastIsNone, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    const lastKidUnknown = craft(`{"alg":"RS256","kid":"${KID}","kid":"${UNLISTED_KID}"}`, t.sessionClaims, signer);
    await refusedByDecode(lastKidUnknown, t.identity, 'KEY_NOT_FOUND');
    await refusedByIdentity(t, lastKidUnknown, 'KEY_NOT_FOUND');
    const attackerSigned = craft(
      `{"alg":"RS256","kid":"${UNLISTED_KID}","kid":"${KID}"}`,
      t.sessionClaims,
      signerFor('RS256', t.keys.attacker),
    );
    await refusedByDecode(attackerSigned, t.identity, 'TOKEN_SIGNATURE_INVALID');
    await refusedBySubgraph(t, craft(`{"alg":"none","alg":"RS256","kid":"${KID}"}`, t.authorizationClaims), 'TOKEN_SIGNATURE_INVALID');
    // Duplicate claims in the payload are the issuer's to sign: a forger's duplicate breaks the signature.
    const [header, payload, signature] = t.session.split('.') as [string, string, string];
    const duplicated = b64(`${Buffer.from(payload, 'base64url').toString().slice(0, -1)},"uid":"someone-else"}`);
    await refusedByDecode(`${header}.${duplicated}.${signature}`, t.identity, 'TOKEN_SIGNATURE_INVALID');
  });
});
