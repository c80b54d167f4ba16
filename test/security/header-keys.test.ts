import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/**
 * RFC 8725 §3.10 and RFC 7515 §4.1.2–4.1.7: `jwk`, `jku`, `x5u`, `x5c` and `x5t` in a token's
 * header are the attacker's words about which key to trust. They are ignored: keys come only from
 * the settings, so a token signed with the attacker's key is refused, and nothing is fetched.
 */
describe('security: keys supplied in the token header', () => {
  let t: AttackTargets;
  let keyServer: Server;
  let keyServerUrl: string;
  let fetched = 0;

  before(async () => {
    t = await startAttackTargets();
    const attackerJwk = { ...createPublicKey(t.keys.attacker).export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };
    keyServer = createServer((_req, res) => {
      fetched += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [attackerJwk] }));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => keyServer.close(resolve));
    await t.close();
  });

  /** Header fields that carry or point to the attacker's public key. */
  function attackerHeaders(): [string, Record<string, unknown>][] {
    const publicKey = createPublicKey(t.keys.attacker);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const jwk = publicKey.export({ format: 'jwk' });
    return [
      ['jwk', { jwk: { ...jwk, kid: KID } }],
      ['jwk without kid', { jwk, kid: undefined }],
      ['jku', { jku: `${keyServerUrl}/jwks.json` }],
      ['jku without kid', { jku: `${keyServerUrl}/jwks.json`, kid: undefined }],
      ['x5u', { x5u: `${keyServerUrl}/cert.pem` }],
      ['x5c', { x5c: [der.toString('base64')] }],
      ['x5t', { x5t: createHash('sha1').update(der).digest('base64url') }],
      ['x5t#S256', { 'x5t#S256': createHash('sha256').update(der).digest('base64url') }],
      ['all of them', { jwk, jku: `${keyServerUrl}/jwks.json`, x5u: `${keyServerUrl}/cert.pem`, x5c: [der.toString('base64')] }],
    ];
  }

  it('the untampered tokens are accepted (control)', () => assertControlsAccepted(t));

  it("a token signed with the attacker's key and carrying that key in its header is refused (TOKEN_SIGNATURE_INVALID)", async () => {
    for (const [what, fields] of attackerHeaders()) {
      const session = craft({ alg: 'RS256', typ: 'JWT', kid: KID, ...fields }, t.sessionClaims, signerFor('RS256', t.keys.attacker));
      const authorization = craft(
        { alg: 'RS256', typ: 'JWT', kid: KID, ...fields },
        t.authorizationClaims,
        signerFor('RS256', t.keys.attacker),
      );
      await refusedByDecode(session, t.identity, 'TOKEN_SIGNATURE_INVALID', what);
      await refusedByDecode(authorization, t.subgraph, 'TOKEN_SIGNATURE_INVALID', what);
      await refusedByIdentity(t, session, 'TOKEN_SIGNATURE_INVALID', what);
      await refusedBySubgraph(t, authorization, 'TOKEN_SIGNATURE_INVALID', what);
    }
    assert.equal(fetched, 0, 'no jku or x5u URL was fetched');
  });

  it('a kid that only the header-supplied key set knows is refused (KEY_NOT_FOUND), and that set is not fetched', async () => {
    const fields = { kid: 'attacker-1', jku: `${keyServerUrl}/jwks.json`, x5u: `${keyServerUrl}/cert.pem` };
    const session = craft({ alg: 'RS256', ...fields }, t.sessionClaims, signerFor('RS256', t.keys.attacker));
    const authorization = craft({ alg: 'RS256', ...fields }, t.authorizationClaims, signerFor('RS256', t.keys.attacker));
    await refusedByDecode(session, t.identity, 'KEY_NOT_FOUND');
    await refusedByIdentity(t, session, 'KEY_NOT_FOUND');
    await refusedBySubgraph(t, authorization, 'KEY_NOT_FOUND');
    assert.equal(fetched, 0);
  });

  it('an HS256 token whose header jwk is a symmetric key (kty oct) is refused', async () => {
    const secret = Buffer.from('attacker-chosen-secret');
    const header = { alg: 'HS256', kid: KID, jwk: { kty: 'oct', k: secret.toString('base64url') } };
    await refusedByDecode(craft(header, t.sessionClaims, signerFor('HS256', secret)), t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedBySubgraph(t, craft(header, t.authorizationClaims, signerFor('HS256', secret)), 'TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('a genuine token stays valid with such headers added by the issuer: they are ignored, not errors', async () => {
    // Only the issuer can sign this; it shows the fields play no part in choosing the key.
    const [what, fields] = attackerHeaders()[0]!;
    const token = craft({ alg: 'RS256', typ: 'JWT', kid: KID, ...fields }, t.sessionClaims, signerFor('RS256', t.keys.current));
    assert.deepEqual((await t.askIdentity(`JWT ${token}`)).body, { data: { me: { username: 'alice' } } }, what);
  });
});
