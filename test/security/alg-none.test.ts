import { after, before, describe, it } from 'node:test';
import {
  KID,
  assertControlsAccepted,
  b64,
  craft,
  refusedByDecode,
  refusedByIdentity,
  refusedBySubgraph,
  startAttackTargets,
  type AttackTargets,
} from '../support/attacks.js';

/** RFC 8725 §2.1, §3.1: unsecured JWTs (`alg: none`) and stripped signatures are never accepted. */
describe('security: alg "none" and missing signatures', () => {
  let t: AttackTargets;
  before(async () => {
    t = await startAttackTargets();
  });
  after(() => t.close());

  it('the untampered tokens are accepted (control)', () => assertControlsAccepted(t));

  /** Each token three ways: unsigned, with the original signature kept, with the signature part gone. */
  function unsecured(token: string, alg: unknown): string[] {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const noneHeader = b64({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), alg });
    return [`${noneHeader}.${payload}.`, `${noneHeader}.${payload}.${signature}`];
  }

  const CASINGS = ['none', 'None', 'NONE', 'nOnE', 'none ', ''];

  it('decodeJwtToken refuses alg none in any casing, with or without a signature (TOKEN_ALGORITHM_NOT_ALLOWED)', async () => {
    for (const alg of CASINGS) {
      for (const token of unsecured(t.session, alg))
        await refusedByDecode(token, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${JSON.stringify(alg)}`);
      for (const token of unsecured(t.authorization, alg))
        await refusedByDecode(token, t.subgraph, 'TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${JSON.stringify(alg)}`);
    }
  });

  it('decodeJwtToken refuses a header without alg, or with alg null, a number, a list or an object', async () => {
    for (const alg of [undefined, null, 256, ['RS256'], { name: 'RS256' }, true]) {
      for (const token of unsecured(t.session, alg))
        await refusedByDecode(token, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${JSON.stringify(alg)}`);
    }
  });

  it("an unsecured token without a kid (the issuer's current key) is refused just the same", async () => {
    const token = craft({ alg: 'none', typ: 'JWT' }, t.sessionClaims);
    await refusedByDecode(token, t.identity, 'TOKEN_ALGORITHM_NOT_ALLOWED');
    await refusedByIdentity(t, token, 'TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('an RS256 token with its signature stripped or emptied is refused (TOKEN_SIGNATURE_INVALID), not treated as unsecured', async () => {
    const [header, payload] = t.session.split('.') as [string, string];
    const stripped = `${header}.${payload}.`;
    await refusedByDecode(stripped, t.identity, 'TOKEN_SIGNATURE_INVALID');
    await refusedByIdentity(t, stripped, 'TOKEN_SIGNATURE_INVALID');
    const [authHeader, authPayload] = t.authorization.split('.') as [string, string];
    await refusedByDecode(`${authHeader}.${authPayload}.`, t.subgraph, 'TOKEN_SIGNATURE_INVALID');
    await refusedBySubgraph(t, `${authHeader}.${authPayload}.`, 'TOKEN_SIGNATURE_INVALID');
    // "AA" decodes to one zero byte: a signature of the wrong length.
    await refusedByDecode(`${header}.${payload}.AA`, t.identity, 'TOKEN_SIGNATURE_INVALID');
  });

  it('a token of two parts (signature part missing altogether) is malformed', async () => {
    const [header, payload] = t.session.split('.') as [string, string];
    for (const token of [`${header}.${payload}`, `${b64({ alg: 'none', kid: KID })}.${payload}`]) {
      await refusedByDecode(token, t.identity, 'TOKEN_MALFORMED');
      await refusedByIdentity(t, token, 'TOKEN_MALFORMED');
      await refusedBySubgraph(t, token, 'TOKEN_MALFORMED');
    }
  });

  it('over HTTP: every unsecured variant is answered 401 UNAUTHENTICATED by the identity service and the subgraph', async () => {
    for (const alg of CASINGS) {
      for (const token of unsecured(t.session, alg))
        await refusedByIdentity(t, token, 'TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${JSON.stringify(alg)}`);
      for (const token of unsecured(t.authorization, alg))
        await refusedBySubgraph(t, token, 'TOKEN_ALGORITHM_NOT_ALLOWED', `alg ${JSON.stringify(alg)}`);
    }
  });
});
