import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyStore, decodeJwtToken, resolveSettings, type Algorithm, type SsoConfig, type TokenContext } from '../../src/index.js';
import {
  KID,
  assertControlsAccepted,
  craft,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  signerFor,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

/** Every form an attacker finds a public key in, to use as an HMAC secret (RFC 8725 §2.1, §3.1). */
function secretForms(publicKey: KeyObject, jwks?: string): [string, Buffer | string][] {
  const jwk = publicKey.export({ format: 'jwk' });
  const forms: [string, Buffer | string][] = [
    ['SPKI PEM', publicKey.export({ type: 'spki', format: 'pem' }) as string],
    ['SPKI PEM without its final newline', (publicKey.export({ type: 'spki', format: 'pem' }) as string).trimEnd()],
    ['SPKI DER', publicKey.export({ type: 'spki', format: 'der' })],
    ['JWK JSON', JSON.stringify(jwk)],
  ];
  if (publicKey.asymmetricKeyType === 'rsa') {
    forms.push(['PKCS#1 PEM', publicKey.export({ type: 'pkcs1', format: 'pem' }) as string]);
    forms.push(['PKCS#1 DER', publicKey.export({ type: 'pkcs1', format: 'der' })]);
    forms.push(['modulus n', Buffer.from(jwk.n!, 'base64url')]);
  }
  if (jwks) forms.push(['the JWKS document as served', jwks]);
  return forms;
}

describe('security: algorithm confusion', () => {
  let t: AttackTargets;
  let publicKey: KeyObject;
  let jwks: string;
  let ecPrivate: KeyObject;

  before(async () => {
    t = await startAttackTargets();
    publicKey = createPublicKey(t.keys.current);
    jwks = await (await fetch(`${t.sso.origin}/.well-known/jwks.json`)).text();
    await t.sso.keys.add('myapp-ec', 'ES256');
    ecPrivate = createPrivateKey(readFileSync(join(t.sso.keys.root, 'myapp-ec.pem'), 'utf8'));
  });
  after(() => t.close());

  /** The identity's key files, verified with other `decodeAlgorithms` (and the EC key listed too). */
  function contextWith(config: SsoConfig): TokenContext {
    const settings = resolveSettings({
      identity: 'myapp',
      keyStoreRoot: t.sso.keys.root,
      privateKeys: { myapp: [`${KID}.pem`] },
      publicKeys: { myapp: [`${KID}.pem`, 'myapp-ec.pem'] },
      decodeAlgorithms: ['RS256', 'PS256', 'ES256'],
      ...config,
    });
    return { settings, keys: KeyStore.load(settings) };
  }

  it('the untampered tokens are accepted (control)', () => assertControlsAccepted(t));

  it("HS256/384/512 tokens keyed with the issuer's RSA public key in any form are refused (TOKEN_ALGORITHM_NOT_ALLOWED)", async () => {
    for (const [form, secret] of secretForms(publicKey, jwks)) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const session = craft({ alg, typ: 'JWT', kid: KID }, t.sessionClaims, signerFor(alg, secret));
        const authorization = craft({ alg, typ: 'JWT', kid: KID }, t.authorizationClaims, signerFor(alg, secret));
        await refusedByDecode(session, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED', `${alg} with ${form}`);
        await refusedByDecode(authorization, t.subgraph, 'TOKEN_ALGORITHM_NOT_ALLOWED', `${alg} with ${form}`);
        // A verifier that allows every algorithm it knows still has no HMAC: there is none to confuse.
        await refusedByDecode(
          session,
          contextWith({ decodeAlgorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] }),
          'TOKEN_ALGORITHM_NOT_ALLOWED',
        );
      }
    }
  });

  it('over HTTP: HS256 keyed with the public key (PEM, DER, JWK, JWKS) is answered 401 by both services', async () => {
    for (const [form, secret] of secretForms(publicKey, jwks)) {
      await refusedByIdentity(
        t,
        craft({ alg: 'HS256', typ: 'JWT', kid: KID }, t.sessionClaims, signerFor('HS256', secret)),
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        form,
      );
      await refusedBySubgraph(
        t,
        craft({ alg: 'HS256', typ: 'JWT', kid: KID }, t.authorizationClaims, signerFor('HS256', secret)),
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        form,
      );
    }
  });

  it('HS256 keyed with an EC public key is refused too', async () => {
    const ctx = contextWith({});
    for (const [form, secret] of secretForms(createPublicKey(ecPrivate))) {
      await refusedByDecode(
        craft({ alg: 'HS256', kid: 'myapp-ec' }, t.sessionClaims, signerFor('HS256', secret)),
        ctx,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        form,
      );
    }
  });

  it('an RSA key used with a PS256 or ES256 header: refused by default, and when allowed the signature must still be one of that algorithm', async () => {
    const ps256 = craft({ alg: 'PS256', kid: KID }, t.sessionClaims, signerFor('PS256', t.keys.current));
    const rs256AsPs256 = craft({ alg: 'PS256', kid: KID }, t.sessionClaims, signerFor('RS256', t.keys.current));
    const ps256AsRs256 = craft({ alg: 'RS256', kid: KID }, t.sessionClaims, signerFor('PS256', t.keys.current));
    await refusedByDecode(ps256, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedByIdentity(t, ps256, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    const widened = contextWith({});
    assert.equal(
      (await decodeJwtToken(ps256, widened)).sid,
      t.sessionClaims.sid,
      'control: a genuine PS256 token verifies where PS256 is allowed',
    );
    await refusedByDecode(rs256AsPs256, widened, 'TOKEN_SIGNATURE_INVALID');
    await refusedByDecode(ps256AsRs256, widened, 'TOKEN_SIGNATURE_INVALID');
    // The subgraph takes keys from the JWKS, whose entries name one alg (RS256): PS256 is refused there.
    await refusedBySubgraph(
      t,
      craft({ alg: 'PS256', kid: KID }, t.authorizationClaims, signerFor('PS256', t.keys.current)),
      'TOKEN_ALGORITHM_NOT_ALLOWED',
    );

    const es256ForRsaKid = craft({ alg: 'ES256', kid: KID }, t.sessionClaims, signerFor('ES256', t.keys.attackerEc));
    await refusedByDecode(es256ForRsaKid, widened, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedByIdentity(t, es256ForRsaKid, 'TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('an EC key used with an RS256 header is refused, even when RS256 is allowed', async () => {
    const ctx = contextWith({});
    assert.equal(
      (await decodeJwtToken(craft({ alg: 'ES256', kid: 'myapp-ec' }, t.sessionClaims, signerFor('ES256', ecPrivate)), ctx)).sid,
      t.sessionClaims.sid,
      'control',
    );
    for (const [alg, key] of [
      ['RS256', t.keys.attacker],
      ['RS256', t.keys.current],
      ['PS256', t.keys.attacker],
      ['ES384', t.keys.attackerEc],
    ] as [string, KeyObject][]) {
      await refusedByDecode(
        craft({ alg, kid: 'myapp-ec' }, t.sessionClaims, (input) => {
          try {
            return signerFor(alg, key)(input);
          } catch {
            return Buffer.alloc(96);
          }
        }),
        ctx,
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        `${alg} for the EC kid`,
      );
    }
  });

  it('algorithms the verifier does not allow, or does not know, are refused before any signature check', async () => {
    // Genuine signatures of the issuer's key where the algorithm is a real one: only the algorithm is at fault.
    const signerOf = (alg: string) =>
      ['RS384', 'RS512', 'PS512'].includes(alg)
        ? signerFor(alg, t.keys.current)
        : alg === 'ES256'
          ? signerFor('ES256', t.keys.attackerEc)
          : signerFor('RS256', t.keys.current);
    const signedBy = (alg: string) => craft({ alg, typ: 'JWT', kid: KID }, t.sessionClaims, signerOf(alg));
    const algs: (Algorithm | string)[] = [
      'RS384',
      'RS512',
      'PS512',
      'ES256',
      'EdDSA',
      'ES256K',
      'rs256',
      'Rs256',
      'RS256 ',
      'RSA-OAEP',
      'dir',
    ];
    for (const alg of algs) {
      await refusedByDecode(signedBy(alg), t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED', alg);
      await refusedByIdentity(t, signedBy(alg), 'TOKEN_ALGORITHM_NOT_ALLOWED', alg);
    }
    const subgraphToken = craft({ alg: 'RS512', kid: KID }, t.authorizationClaims, signerFor('RS512', t.keys.current));
    await refusedByDecode(subgraphToken, t.subgraph, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedBySubgraph(t, subgraphToken, 'TOKEN_ALGORITHM_NOT_ALLOWED');
  });
});
