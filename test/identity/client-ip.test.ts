import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionToken } from '../../src/identity-exports.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

/** The `ip_address` recorded for the session of a token. */
async function ipOf(sso: TestIdentity, token: string): Promise<string | null> {
  const row = await sso.db.orm.em.fork().findOneOrFail(SessionToken, { id: payloadOf(token).sid });
  return row.ipAddress;
}

describe('session ip_address: the socket address by default', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({}, { sessions: { lastUsedInterval: 0 } });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  it('trustProxy is off by default', () => {
    assert.equal(sso.service.services.settings.trustProxy, false);
  });

  it('ignores X-Forwarded-For at login, which any client can send', async () => {
    const token = await sso.login('alice', 'alice-password', { clientId: 'spoof', headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(await ipOf(sso, token), '127.0.0.1');
  });

  it("ignores X-Forwarded-For when a request records the session's use", async () => {
    const token = await sso.login('alice', 'alice-password', { clientId: 'use' });
    const res = await sso.graphql('{ me { username } }', { token, headers: { 'x-forwarded-for': '198.51.100.9' } });
    assert.deepEqual(res.body.data, { me: { username: 'alice' } });
    assert.equal(await ipOf(sso, token), '127.0.0.1');
  });
});

describe('session ip_address with trustProxy: the first X-Forwarded-For address', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({ trustProxy: true }, { sessions: { lastUsedInterval: 0 } });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  const loginFrom = (clientId: string, forwardedFor?: string) =>
    sso.login('alice', 'alice-password', { clientId, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });

  it('records the client, the first entry of the list the proxies built', async () => {
    assert.equal(await ipOf(sso, await loginFrom('one', '203.0.113.7')), '203.0.113.7');
    assert.equal(await ipOf(sso, await loginFrom('chain', '203.0.113.8, 10.0.0.1, 10.0.0.2')), '203.0.113.8');
  });

  it('records IPv6 addresses, and IPv4-mapped ones as IPv4', async () => {
    assert.equal(await ipOf(sso, await loginFrom('v6', '2001:db8::1')), '2001:db8::1');
    assert.equal(await ipOf(sso, await loginFrom('mapped', '::ffff:198.51.100.2')), '198.51.100.2');
  });

  it('falls back to the socket address without the header, and refuses what is longer than an address can be', async () => {
    assert.equal(await ipOf(sso, await loginFrom('direct')), '127.0.0.1');
    await assert.rejects(loginFrom('long', 'x'.repeat(46)), /longer than an IP address can be/);
  });

  it('a reused session, and each use of it, records the latest address', async () => {
    const first = await loginFrom('reused', '203.0.113.10');
    const second = await loginFrom('reused', '203.0.113.11');
    assert.equal(payloadOf(second).sid, payloadOf(first).sid);
    assert.equal(await ipOf(sso, second), '203.0.113.11');
    const res = await sso.graphql('{ me { username } }', { token: second, headers: { 'x-forwarded-for': '198.51.100.9' } });
    assert.deepEqual(res.body.data, { me: { username: 'alice' } });
    assert.equal(await ipOf(sso, second), '198.51.100.9');
  });
});
