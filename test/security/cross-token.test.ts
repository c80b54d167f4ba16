import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwtToken } from '../../src/index.js';
import {
  PARTNER_KID,
  assertControlsAccepted,
  craft,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  signerFor,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

const MINT = 'mutation { obtainAuthorizationToken { token } }';

/**
 * RFC 8725 §2.8, §3.8–3.9, §3.11: a token valid for one purpose, audience or issuer is not
 * accepted for another. Session tokens are for the identity service only; authorization tokens
 * cannot mint; each service takes only its own audience and the issuers it accepts; and sessions
 * are the identity service's own, so no other issuer's token can stand for one.
 */
describe('security: cross-token confusion', () => {
  let t: AttackTargets;
  before(async () => {
    t = await startAttackTargets();
  });
  after(() => t.close());

  async function mint(authorization: string) {
    const res = await fetch(t.sso.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: MINT }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] },
    };
  }

  it('the untampered tokens are accepted, and a session token mints (control)', async () => {
    await assertControlsAccepted(t);
    const res = await mint(`JWT ${t.session}`);
    assert.equal(typeof res.body.data?.obtainAuthorizationToken?.token, 'string', JSON.stringify(res.body));
  });

  it('a session token is refused where an authorization token is needed: the subgraph (not its audience)', async () => {
    assert.deepEqual(t.sessionClaims.aud, ['myapp']);
    await refusedByDecode(t.session, t.subgraph, 'TOKEN_CLAIM_INVALID');
    await refusedBySubgraph(t, t.session, 'TOKEN_CLAIM_INVALID');
  });

  it('an authorization token cannot mint, over GraphQL and REST (TOKEN_TYPE_INVALID, never a token)', async () => {
    const graphql = await mint(`JWT ${t.authorization}`);
    assert.notEqual(graphql.status, 500);
    assert.equal(graphql.body.data, null);
    assert.equal(graphql.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(graphql.body.errors?.[0]?.extensions?.reason, 'TOKEN_TYPE_INVALID');
    const rest = await fetch(`${t.sso.origin}/authorize/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${t.authorization}` },
      body: '{}',
    });
    assert.equal(rest.status, 401);
    assert.equal(((await rest.json()) as { token?: string }).token, undefined);
    // Relabelled as a session token, it is a forgery: the signature no longer matches.
    const [header, , signature] = t.authorization.split('.') as [string, string, string];
    const relabelled = `${header}.${Buffer.from(JSON.stringify({ ...t.authorizationClaims, token: 'session' })).toString('base64url')}.${signature}`;
    await refusedByDecode(relabelled, t.identity, 'TOKEN_SIGNATURE_INVALID');
    const res = await mint(`JWT ${relabelled}`);
    assert.equal(res.status, 401);
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'TOKEN_SIGNATURE_INVALID');
  });

  it('a token of another audience is refused by both services (TOKEN_CLAIM_INVALID)', async () => {
    const audiences: unknown[] = [
      ['elsewhere'],
      'elsewhere',
      [],
      ['myapp ', 'otherapp '],
      ['MYAPP', 'OTHERAPP'],
      { myapp: true, otherapp: true },
      null,
      42,
      undefined,
    ];
    for (const aud of audiences) {
      const session = t.forge({ ...t.sessionClaims, aud });
      const authorization = t.forge({ ...t.authorizationClaims, aud });
      await refusedByDecode(session, t.identity, 'TOKEN_CLAIM_INVALID', `aud ${JSON.stringify(aud)}`);
      await refusedByDecode(authorization, t.subgraph, 'TOKEN_CLAIM_INVALID', `aud ${JSON.stringify(aud)}`);
      await refusedByIdentity(t, session, 'TOKEN_CLAIM_INVALID', `aud ${JSON.stringify(aud)}`);
      await refusedBySubgraph(t, authorization, 'TOKEN_CLAIM_INVALID', `aud ${JSON.stringify(aud)}`);
    }
  });

  it('a token of an issuer the subgraph does not accept is refused before its key is looked up', async () => {
    const partner = craft(
      { alg: 'RS256', kid: PARTNER_KID },
      { ...t.authorizationClaims, iss: 'partner' },
      signerFor('RS256', t.keys.partner),
    );
    await refusedByDecode(partner, t.subgraph, 'TOKEN_ISSUER_NOT_ACCEPTED');
    await refusedBySubgraph(t, partner, 'TOKEN_ISSUER_NOT_ACCEPTED');
    const nobody = craft(
      { alg: 'RS256', kid: 'nobody-1' },
      { ...t.authorizationClaims, iss: 'nobody' },
      signerFor('RS256', t.keys.attacker),
    );
    await refusedBySubgraph(t, nobody, 'TOKEN_ISSUER_NOT_ACCEPTED');
    await refusedByIdentity(t, nobody, 'KEY_NOT_FOUND');
  });

  it('a token of another trusted issuer cannot stand for a session of the identity service, nor mint', async () => {
    // partner's key is listed (publicKeys) and acceptedIssuers is null: its tokens verify, but the
    // sid and uid it names (read from any token of alice's) are this identity's, not partner's.
    const impersonation = craft(
      { alg: 'RS256', typ: 'JWT', kid: PARTNER_KID },
      { ...t.sessionClaims, iss: 'partner' },
      signerFor('RS256', t.keys.partner),
    );
    // decodeJwtToken accepts it (partner is trusted for its own tokens); the session check refuses it.
    const payload = await decodeJwtToken(impersonation, t.identity);
    await assert.rejects(t.sso.service.services.sessions.authenticate(payload, undefined), { code: 'TOKEN_ISSUER_NOT_ACCEPTED' });
    await refusedByIdentity(t, impersonation, 'TOKEN_ISSUER_NOT_ACCEPTED');
    const res = await mint(`JWT ${impersonation}`);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'TOKEN_ISSUER_NOT_ACCEPTED');
    const rest = await fetch(`${t.sso.origin}/authorize/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${impersonation}` },
      body: '{}',
    });
    assert.equal(rest.status, 401);
  });

  it('the token type claim missing, unknown or of another case is refused (TOKEN_TYPE_INVALID)', async () => {
    for (const token of [undefined, null, 'refresh', 'Session', 'AUTH', 'id', '', ['session'], 1]) {
      const session = t.forge({ ...t.sessionClaims, token });
      const authorization = t.forge({ ...t.authorizationClaims, token });
      await refusedByDecode(session, t.identity, 'TOKEN_TYPE_INVALID', `token ${JSON.stringify(token)}`);
      await refusedByDecode(authorization, t.subgraph, 'TOKEN_TYPE_INVALID', `token ${JSON.stringify(token)}`);
      await refusedByIdentity(t, session, 'TOKEN_TYPE_INVALID', `token ${JSON.stringify(token)}`);
      await refusedBySubgraph(t, authorization, 'TOKEN_TYPE_INVALID', `token ${JSON.stringify(token)}`);
    }
  });
});
