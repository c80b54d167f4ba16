import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { resolveSettings, SettingsError, type SsoConfig } from '../../src/index.js';
import { SsoSupergraphManager, buildSsoService, gatewayContext, type GatewayContext } from '../../src/gateway-exports.js';
import { SessionToken } from '../../src/identity-exports.js';
import { createTestLogger } from '../support/database.js';
import { LOGIN, payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[]; detail?: string };
}

/**
 * A POST from a chosen local address (127.0.0.0/8 is all the machine's): the way two devices,
 * or a proxy and its client, reach a service from different addresses in one test process.
 */
function post(url: string, body: unknown, { from = '127.0.0.1', headers = {} }: { from?: string; headers?: Record<string, string> } = {}) {
  const text = JSON.stringify(body);
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const login = (url: string, username: string, password: string, options: Parameters<typeof post>[2] = {}) =>
  post(url, { query: LOGIN, variables: { username, password } }, options);

async function ipOf(sso: TestIdentity, token: string): Promise<string | null> {
  const row = await sso.db.orm.em.fork().findOneOrFail(SessionToken, { id: payloadOf(token).sid });
  return row.ipAddress;
}

async function tokenOf(answer: Promise<Answer>): Promise<string> {
  const { body } = await answer;
  assert.ok(body.data?.obtainSessionToken, JSON.stringify(body));
  return body.data.obtainSessionToken.token as string;
}

describe('security: the client behind a proxy is read only from trusted proxies', () => {
  let sso: TestIdentity;

  before(async () => {
    // The test's requests come from 127.0.0.1: it plays the trusted proxy.
    sso = await startIdentity({ trustProxy: ['127.0.0.1'] }, { sessions: { lastUsedInterval: 0 } });
    await sso.createUser('alice', 'alice-password');
  });
  after(() => sso.close());

  const from = (forwardedFor: string, peer = '127.0.0.1') =>
    login(sso.url, 'alice', 'alice-password', { from: peer, headers: { 'x-forwarded-for': forwardedFor } });

  it('an untrusted peer is its own client: the X-Forwarded-For it writes is ignored, even when malformed', async () => {
    assert.equal(await ipOf(sso, await tokenOf(from('203.0.113.7', '127.0.0.2'))), '127.0.0.2');
    assert.equal(await ipOf(sso, await tokenOf(from('not an address', '127.0.0.2'))), '127.0.0.2');
  });

  it("a trusted proxy's forwarded address is the client; what the client wrote left of it is not read", async () => {
    assert.equal(await ipOf(sso, await tokenOf(from('203.0.113.7'))), '203.0.113.7');
    // The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended the address it saw.
    assert.equal(await ipOf(sso, await tokenOf(from('198.51.100.1, 203.0.113.7'))), '203.0.113.7');
    assert.equal(await ipOf(sso, await tokenOf(from('garbage, 203.0.113.7'))), '203.0.113.7');
    assert.equal(await ipOf(sso, await tokenOf(from('2001:db8::1'))), '2001:db8::1');
    assert.equal(await ipOf(sso, await tokenOf(from('::ffff:198.51.100.2'))), '198.51.100.2');
  });

  for (const [what, forwardedFor] of [
    ['a name', 'proxy.internal'],
    ['an address with a port', '203.0.113.7:51234'],
    ['an over-long address', `2001:db8::${'1'.repeat(40)}`],
    ['a long string', 'x'.repeat(5000)],
  ] as const) {
    it(`a trusted proxy forwarding ${what} is refused: HTTP 400, the whole request, GraphQL and REST`, async () => {
      const graphql = await from(forwardedFor);
      assert.equal(graphql.status, 400);
      assert.equal(graphql.body.data, undefined);
      assert.equal(graphql.body.errors?.length, 1);
      assert.equal(graphql.body.errors![0]!.extensions?.code, 'BAD_REQUEST');
      assert.equal(graphql.body.errors![0]!.extensions?.reason, 'REQUEST_INVALID');
      assert.match(graphql.body.errors![0]!.message, /X-Forwarded-For from a trusted proxy holds .*\(setting trustProxy\)/);
      const rest = await post(
        `${sso.origin}/session/`,
        { username: 'alice', password: 'alice-password' },
        { headers: { 'x-forwarded-for': forwardedFor } },
      );
      assert.equal(rest.status, 400);
      assert.match(rest.body.detail ?? '', /X-Forwarded-For from a trusted proxy holds/);
    });
  }
});

describe('security: trustProxy as a hop count and as named ranges', () => {
  let hops: TestIdentity;
  let loopback: TestIdentity;

  before(async () => {
    hops = await startIdentity({ trustProxy: 2 });
    loopback = await startIdentity({ trustProxy: 'loopback, 10.0.0.0/8' });
    await hops.createUser('alice', 'alice-password');
    await loopback.createUser('alice', 'alice-password');
  });
  after(async () => {
    await hops.close();
    await loopback.close();
  });

  it('2 hops: the socket peer and the rightmost entry are proxies, the entry before them the client', async () => {
    const token = await tokenOf(
      login(hops.url, 'alice', 'alice-password', { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.0.0.5' } }),
    );
    assert.equal(await ipOf(hops, token), '203.0.113.7');
    const short = await tokenOf(login(hops.url, 'alice', 'alice-password', { headers: { 'x-forwarded-for': '203.0.113.8' } }));
    assert.equal(await ipOf(hops, short), '203.0.113.8', 'fewer hops than trusted: the leftmost');
  });

  it('named and CIDR ranges: every trusted proxy is passed, the first untrusted address is the client', async () => {
    const token = await tokenOf(
      login(loopback.url, 'alice', 'alice-password', { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.2.3, 127.0.0.5' } }),
    );
    assert.equal(await ipOf(loopback, token), '203.0.113.9');
  });
});

describe('security: trustProxy is checked at start-up', () => {
  const refused = (trustProxy: unknown, message: RegExp) =>
    assert.throws(
      () => resolveSettings({ trustProxy } as SsoConfig),
      (error: unknown) =>
        error instanceof SettingsError && error.setting === 'trustProxy' && message.test(error.message) ? true : assert.fail(String(error)),
    );

  it('refuses what is no address, range, hop count or flag, naming the setting', () => {
    refused('proxy.internal', /trustProxy.*addresses and CIDR ranges/);
    refused(['10.0.0.0/33'], /trustProxy/);
    refused('10.0.0.1,', /an entry is empty/);
    refused([], /trustProxy/);
    refused(-1, /number of proxy hops/);
    refused(1.5, /number of proxy hops/);
    refused({ proxies: [] }, /trustProxy/);
  });

  it('takes flags, hop counts, addresses, ranges and their names', () => {
    for (const trustProxy of [false, true, 0, 3, '10.0.0.1', '10.0.0.0/8, fd00::/8', ['loopback', 'uniquelocal', '192.0.2.1']]) {
      assert.deepEqual(resolveSettings({ trustProxy } as SsoConfig).trustProxy, trustProxy);
    }
  });
});

describe('security: two devices behind the gateway helpers are two clients', () => {
  let sso: TestIdentity;
  let gatewayUrl: string;
  let stopGateway: () => Promise<void>;

  before(async () => {
    // The identity service trusts the gateway (127.0.0.1) only; the devices are 127.0.0.2 and .3.
    sso = await startIdentity(
      { trustProxy: '127.0.0.1', loginThrottle: { usernameAttempts: 100, ipAttempts: 2, backoff: { base: 60, max: 60 } } },
      { sessions: { lastUsedInterval: 0 } },
    );
    await sso.createUser('alice', 'alice-password');
    const logger = createTestLogger();
    const gateway = new ApolloGateway({
      supergraphSdl: new SsoSupergraphManager({ subgraphs: [{ name: 'identity', url: sso.url }], logger }),
      buildService: buildSsoService(),
      logger,
    });
    const server = new ApolloServer<GatewayContext>({ gateway, logger });
    ({ url: gatewayUrl } = await startStandaloneServer(server, { context: gatewayContext, listen: { port: 0, host: '127.0.0.1' } }));
    stopGateway = () => server.stop();
  });
  after(async () => {
    await stopGateway();
    await sso.close();
  });

  const phone = { from: '127.0.0.2', headers: { 'user-agent': 'phone-app/2.1' } };
  const laptop = { from: '127.0.0.3', headers: { 'user-agent': 'Mozilla/5.0 (laptop)' } };

  it('each device gets its own session, and mySessions lists both with their own address and user agent', async () => {
    const phoneToken = await tokenOf(login(gatewayUrl, 'alice', 'alice-password', phone));
    const laptopToken = await tokenOf(login(gatewayUrl, 'alice', 'alice-password', laptop));
    assert.notEqual(payloadOf(phoneToken).sid, payloadOf(laptopToken).sid);
    const { body } = await post(
      gatewayUrl,
      { query: '{ mySessions { id ipAddress userAgent current } }' },
      { ...phone, headers: { ...phone.headers, authorization: `JWT ${phoneToken}` } },
    );
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const sessions = (body.data!.mySessions as { id: string; ipAddress: string; userAgent: string; current: boolean }[])
      .map(({ id, ipAddress, userAgent, current }) => ({ id, ipAddress, userAgent, current }))
      .sort((a, b) => a.ipAddress.localeCompare(b.ipAddress));
    assert.deepEqual(sessions, [
      { id: payloadOf(phoneToken).sid, ipAddress: '127.0.0.2', userAgent: 'phone-app/2.1', current: true },
      { id: payloadOf(laptopToken).sid, ipAddress: '127.0.0.3', userAgent: 'Mozilla/5.0 (laptop)', current: false },
    ]);
  });

  it('a device that spoofs X-Forwarded-For to the gateway is still recorded at its own address', async () => {
    const token = await tokenOf(
      login(gatewayUrl, 'alice', 'alice-password', {
        from: '127.0.0.4',
        headers: { 'user-agent': 'spoof', 'x-forwarded-for': '127.0.0.3' },
      }),
    );
    assert.equal(await ipOf(sso, token), '127.0.0.4');
  });

  it("the per-address throttle counts each device: one device's failures do not lock out another", async () => {
    const attacker = { from: '127.0.0.5', headers: { 'user-agent': 'attacker' } };
    for (const username of ['nobody-1', 'nobody-2']) {
      const { body } = await login(gatewayUrl, username, 'wrong', attacker);
      assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    const throttled = await login(gatewayUrl, 'nobody-3', 'wrong', attacker);
    assert.equal(throttled.body.errors?.[0]?.extensions?.code, 'TOO_MANY_REQUESTS');
    await tokenOf(login(gatewayUrl, 'alice', 'alice-password', phone));
  });
});
