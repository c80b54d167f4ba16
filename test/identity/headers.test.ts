import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { encodeJwtToken } from '../../src/jwt/encode.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

const ME = '{ me { username } }';

describe('identity service: the Authorization header', () => {
  let sso: TestIdentity;
  let session: string;
  let claims: Record<string, any>;

  before(async () => {
    sso = await startIdentity();
    await sso.createUser('alice', 'alice-password');
    session = await sso.login('alice', 'alice-password');
    claims = payloadOf(session);
  });
  after(() => sso.close());

  const sign = (payload: Record<string, unknown>) => {
    const { settings, keys } = sso.service.services;
    return encodeJwtToken({ token: 'session', sid: claims.sid, uid: claims.uid, ...payload }, { settings, keys }) as string;
  };

  const refused = async (authorization: string, message: RegExp, reason: string) => {
    const res = await sso.graphql(ME, { authorization });
    assert.equal(res.status, 401, `${authorization.slice(0, 40)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.data, undefined);
    assert.equal(res.body.errors?.length, 1);
    const [error] = res.body.errors!;
    assert.equal(error!.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(error!.extensions?.reason, reason);
    assert.match(error!.message, message);
    assert.equal(error!.extensions?.stacktrace, undefined);
    assert.equal(res.headers.get('www-authenticate'), 'JWT realm="api"');
  };

  it('no header: an anonymous request', async () => {
    const res = await sso.graphql(ME);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: { me: null } });
  });

  it('a valid token, with the scheme in any case', async () => {
    for (const scheme of ['JWT', 'jwt', 'Jwt']) {
      const res = await sso.graphql(ME, { authorization: `${scheme} ${session}` });
      assert.deepEqual(res.body, { data: { me: { username: 'alice' } } });
    }
  });

  it('wrong scheme', () => refused(`Bearer ${session}`, /Expected "Authorization: JWT <token>"/, 'AUTH_HEADER_INVALID'));
  it('missing token', () => refused('JWT', /No credentials provided/, 'AUTH_HEADER_INVALID'));
  it('token with spaces', () => refused(`JWT ${session} extra`, /should not contain spaces/, 'AUTH_HEADER_INVALID'));
  it('garbage', () => refused('JWT not-a-token', /Error decoding token/, 'TOKEN_MALFORMED'));
  it('garbage with three parts', () => refused('JWT a.b.c', /Error decoding token/, 'TOKEN_MALFORMED'));

  it('bad signature', () => {
    const [h, p, s] = session.split('.');
    const flipped = `${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    return refused(`JWT ${h}.${p}.${flipped}`, /signature is invalid/, 'TOKEN_SIGNATURE_INVALID');
  });

  it('tampered payload', () => {
    const [h, , s] = session.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, uid: 'someone-else' })).toString('base64url');
    return refused(`JWT ${h}.${forged}.${s}`, /signature is invalid/, 'TOKEN_SIGNATURE_INVALID');
  });

  it('expired', () => refused(`JWT ${sign({ exp: Math.floor(Date.now() / 1000) - 10 })}`, /expired/, 'TOKEN_EXPIRED'));
  it('wrong audience', () => refused(`JWT ${sign({ aud: ['otherapp'] })}`, /audience/, 'TOKEN_CLAIM_INVALID'));

  it('wrong issuer (no key configured for it)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = jwt.sign({ ...claims, iss: 'evil' }, privateKey, { algorithm: 'RS256', keyid: 'myapp-20200410' });
    return refused(`JWT ${token}`, /Unauthorized token signing key/, 'KEY_NOT_FOUND');
  });

  it('unknown kid', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: 'myapp-29990101' });
    return refused(`JWT ${token}`, /Unauthorized token signing key/, 'KEY_NOT_FOUND');
  });

  it('a known kid but another key (forged signature)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: 'myapp-20200410' });
    return refused(`JWT ${token}`, /signature is invalid/, 'TOKEN_SIGNATURE_INVALID');
  });

  it('alg none', () => {
    const unsigned = jwt.sign(claims, '', { algorithm: 'none' });
    return refused(`JWT ${unsigned}`, /algorithm "none" is not allowed/, 'TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('a session that does not exist', () =>
    refused(`JWT ${sign({ sid: '00000000-0000-4000-8000-000000000000' })}`, /session does not exist/, 'SESSION_NOT_FOUND'));

  it('a session of another user', () =>
    refused(`JWT ${sign({ uid: '00000000-0000-4000-8000-000000000000' })}`, /session does not exist/, 'SESSION_NOT_FOUND'));

  it('refuses the whole request, also for a mutation that needs no authentication', async () => {
    const res = await sso.graphql('mutation { obtainSessionToken(username: "alice", password: "alice-password") { token } }', {
      authorization: 'JWT garbage',
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.data, undefined);
  });
});
