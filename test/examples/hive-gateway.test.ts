import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { DEMO_PASSWORD, demoWalkthrough, startDemo, type Demo } from '../../examples/demo.js';
import { startGatewayProcess } from '../../examples/gateway/process.js';
import { composeFromSubgraphs } from '../../examples/hive-gateway/compose.js';
import { HIVE_GATEWAY_VERSION, hiveGatewayBin, hiveGatewayDir, installHiveGateway } from '../../examples/hive-gateway/install.js';
import { HIVE_GATEWAY_CONFIG, startHiveGateway } from '../../examples/hive-gateway/start.js';
import type { ServiceProcess } from '../../examples/lib/service-process.js';
import { encodeJwtToken } from '../../src/jwt/encode.js';
import { answersOf, graphql, seen } from '../support/demo-client.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The demo behind Hive Gateway (`DEMO_GATEWAY=hive`, the shipped gateway.config.ts), compared
 * answer for answer with the same subgraphs behind the demo's `@apollo/gateway`; and the
 * optional gateway-side token checks compared with the subgraphs'. Hive Gateway (pinned, ~500
 * MB) is installed into its own cache folder the first time, outside the repository.
 */
describe(`Hive Gateway ${HIVE_GATEWAY_VERSION} in front of the demo`, { timeout: 600_000 }, () => {
  let demo: Demo;
  let dataDir: string;
  let database: TestDatabase;
  let apollo: ServiceProcess;
  let checking: ServiceProcess;
  let alice: { session: string; token: string };
  let bob: { session: string; token: string };

  async function login(url: string, username: string): Promise<string> {
    const response = await graphql(url, `mutation { obtainSessionToken(username: "${username}", password: "${DEMO_PASSWORD}") { token } }`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data!.obtainSessionToken.token;
  }

  async function mint(url: string, session: string, account: string): Promise<string> {
    const response = await graphql(url, `mutation { obtainAuthorizationToken(account: "${account}") { token } }`, session);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data!.obtainAuthorizationToken.token;
  }

  /** A token signed by the demo's identity service with exactly these claims (no `scope` added). */
  function signed(claims: Record<string, unknown>): string {
    const { settings, keys } = demo.identity.service.services;
    return encodeJwtToken({ token: 'auth', sid: randomUUID(), uid: demo.users.get('alice')!, account: '1', ...claims }, { settings, keys });
  }

  before(async () => {
    // Installed first, on its own: the first time takes a minute or two.
    await installHiveGateway();
    dataDir = mkdtempSync(join(tmpdir(), 'sso-hive-'));
    database = await createTestDatabase();
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      databaseUrls: { identity: database.url, otherapp: database.url },
      logger: createTestLogger(),
      passwordHashRounds: 4,
      gateway: 'hive',
    });
    const subgraphs = [
      { name: 'identity', url: demo.identity.url },
      { name: 'otherapp', url: demo.otherapp.url },
    ];
    [apollo, checking] = await Promise.all([
      startGatewayProcess({ port: 0, host: '127.0.0.1', subgraphs }),
      startHiveGateway({
        port: 0,
        host: '127.0.0.1',
        supergraphSdl: demo.supergraphSdl,
        runDir: join(dataDir, 'hive-checking'),
        env: {
          SSO_JWKS_URL: `${demo.identity.origin}/.well-known/jwks.json`,
          SSO_ISSUERS: 'graphql-sso-demo',
          SSO_AUDIENCES: 'graphql-sso-demo,otherapp',
        },
      }),
    ]);
    const aliceSession = await login(demo.gateway.url, 'alice');
    const bobSession = await login(demo.gateway.url, 'bob');
    alice = { session: aliceSession, token: await mint(demo.gateway.url, aliceSession, '1') };
    bob = { session: bobSession, token: await mint(demo.gateway.url, bobSession, '2') };
  });

  after(async () => {
    await Promise.all([apollo?.close(), checking?.close()]);
    await demo?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the pinned version, installed outside the repository, and runs on this Node', async () => {
    assert.equal(demo.gateway.kind, 'hive');
    const dir = hiveGatewayDir();
    assert.ok(!resolve(dir).startsWith(ROOT + '/'), `${dir} is outside the repository`);
    const { stdout } = await run(hiveGatewayBin(dir), ['--version']);
    assert.equal(stdout.trim(), HIVE_GATEWAY_VERSION);
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20);
  });

  it('walks the demo with the same answers as @apollo/gateway', async () => {
    const [viaHive, viaApollo] = await Promise.all([
      run('bash', ['-euo', 'pipefail', '-c', demoWalkthrough(demo.gateway.url)]),
      run('bash', ['-euo', 'pipefail', '-c', demoWalkthrough(apollo.url)]),
    ]);
    const hive = answersOf(viaHive.stdout);
    const apolloAnswers = answersOf(viaApollo.stdout);
    assert.equal(hive.length, 5);
    assert.deepEqual(
      hive.map((body) => seen({ body })),
      apolloAnswers.map((body) => seen({ body })),
    );
    assert.deepEqual(hive[0]!.data!.me.accounts, [{ id: '1', name: 'Alice & Co', balance: 1200 }]);
    assert.equal(hive[4]!.errors![0]!.extensions!.code, 'UNAUTHENTICATED');
  });

  it('answers every case as @apollo/gateway does: data, error paths and codes, status', async () => {
    const forged = `${alice.token.slice(0, -6)}AAAAAA`;
    const cases: [query: string, token?: string][] = [
      ['{ me { username accounts { id name balance } } account(id: "1") { name balance } }', alice.token],
      ['{ account(id: "2") { name } publicStatus }', alice.token],
      ['{ account(id: "2") { id name balance } }', bob.token],
      ['{ publicStatus account(id: "1") { name } }'],
      ['{ me { username accounts { id } } }'],
      ['mutation { obtainAuthorizationToken(account: "1") { token } }', bob.session],
      ['{ publicStatus me { id } }', forged],
    ];
    for (const [query, token] of cases) {
      const [hive, viaApollo] = await Promise.all([graphql(demo.gateway.url, query, token), graphql(apollo.url, query, token)]);
      const { errors: hiveErrors, ...hiveRest } = seen(hive);
      const { errors: apolloErrors, ...apolloRest } = seen(viaApollo);
      assert.deepEqual(hiveRest, apolloRest, query);
      // @apollo/gateway reports a whole-request refusal once per subgraph without a path; Hive per field.
      if (hive.status === 401) assert.deepEqual(new Set(hiveErrors.map((e) => e.code)), new Set(apolloErrors.map((e) => e.code)), query);
      else assert.deepEqual(hiveErrors, apolloErrors, query);
    }
  });

  it('answers an invalid token with the subgraphs’ 401, code, reason and challenge', async () => {
    const response = await graphql(demo.gateway.url, '{ publicStatus }', `${alice.token}x`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'JWT realm="api"');
    assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.ok(response.body.errors?.[0]?.extensions?.reason, 'the reason the subgraph gave');
  });

  it("shows the identity service the client's user agent", async () => {
    const session = (
      await graphql(
        demo.gateway.url,
        `mutation { obtainSessionToken(username: "bob", password: "${DEMO_PASSWORD}", clientId: "hive-phone") { token } }`,
        undefined,
        { 'user-agent': 'hive-phone/3.0' },
      )
    ).body.data!.obtainSessionToken.token as string;
    const sessions = await graphql(demo.gateway.url, '{ mySessions { clientId userAgent current } }', session);
    const current = (sessions.body.data!.mySessions as { clientId: string; userAgent: string; current: boolean }[]).find((s) => s.current);
    assert.deepEqual(current, { clientId: 'hive-phone', userAgent: 'hive-phone/3.0', current: true });
  });

  it('with its own token checks, still walks the demo as @apollo/gateway does', async () => {
    const [viaChecking, viaApollo] = await Promise.all([
      run('bash', ['-euo', 'pipefail', '-c', demoWalkthrough(checking.url)]),
      run('bash', ['-euo', 'pipefail', '-c', demoWalkthrough(apollo.url)]),
    ]);
    assert.deepEqual(
      answersOf(viaChecking.stdout).map((body) => seen({ body })),
      answersOf(viaApollo.stdout).map((body) => seen({ body })),
    );
  });

  it('reads the same permissions as the subgraphs: scopes from `scopes` or `scope`, session tokens authorize nothing', async () => {
    const query = '{ account(id: "1") { name balance } }';
    const tokens = {
      'scopes only': signed({ scopes: ['accounts:read-balance'] }),
      'scope only': signed({ scope: 'accounts:read-balance' }),
      'another scope': signed({ scope: 'accounts:other', scopes: ['accounts:other'] }),
      'no scope': signed({}),
    };
    const refusedBy = (body: { errors?: { extensions?: Record<string, any> }[] }) =>
      (body.errors ?? []).map((e) => `${e.extensions?.serviceName ?? 'gateway'}:${e.extensions?.code}`);
    for (const [what, token] of Object.entries(tokens)) {
      const [gateway, subgraph] = await Promise.all([graphql(checking.url, query, token), graphql(demo.otherapp.url, query, token)]);
      assert.deepEqual(seen(gateway), seen(subgraph), what);
      const granted = what === 'scopes only' || what === 'scope only';
      assert.deepEqual(gateway.body.data, { account: { name: 'Alice & Co', balance: granted ? 1200 : null } }, what);
      // A refusal by the gateway's generic-auth carries no serviceName: it never reached the subgraph.
      assert.deepEqual(refusedBy(gateway.body), granted ? [] : ['gateway:FORBIDDEN'], what);
      if (!granted) assert.match(gateway.body.errors![0]!.message, /requires one of the scope sets \[accounts:read-balance\]/);
    }
    // A session token passes the gateway's verification (minting works) but is no user there.
    const viaSession = await graphql(checking.url, '{ me { accounts { id } } }', alice.session);
    assert.deepEqual(refusedBy(viaSession.body), ['gateway:UNAUTHENTICATED']);
    // A token whose key the JWKS lacks is refused as the subgraphs refuse it (401), not with a 500.
    const [header, payload, signature] = alice.token.split('.');
    const unknownKid = [
      Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), kid: 'graphql-sso-demo-20991231' }),
      ).toString('base64url'),
      payload,
      signature,
    ].join('.');
    const [gatewayKid, subgraphKid] = await Promise.all([
      graphql(checking.url, '{ publicStatus }', unknownKid),
      graphql(demo.otherapp.url, '{ publicStatus }', unknownKid),
    ]);
    assert.equal(gatewayKid.status, 401);
    assert.deepEqual(
      gatewayKid.body.errors?.map((e) => e.extensions?.code),
      subgraphKid.body.errors?.map((e) => e.extensions?.code),
    );
    // Scheme case as the subgraphs take it: `jwt` works as `JWT` does.
    const lowercase = await graphql(checking.url, query, undefined, { authorization: `jwt ${alice.token}` });
    assert.deepEqual(lowercase.body, { data: { account: { name: 'Alice & Co', balance: 1200 } } });
  });

  it('forwards Authorization, X-Forwarded-For (with the client appended) and User-Agent to a subgraph', async () => {
    const seenHeaders: Record<string, string | string[] | undefined>[] = [];
    const typeDefs = parse(
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"]) type Query { echo: String }',
    );
    const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers: { Query: { echo: () => 'ok' } } }]) });
    const { url } = await startStandaloneServer(server, {
      context: async ({ req }: { req: IncomingMessage }) => {
        seenHeaders.push({ authorization: req.headers.authorization, xff: req.headers['x-forwarded-for'], ua: req.headers['user-agent'] });
        return {};
      },
      listen: { port: 0, host: '127.0.0.1' },
    });
    let hive: ServiceProcess | undefined;
    try {
      hive = await startHiveGateway({
        port: 0,
        host: '127.0.0.1',
        supergraphSdl: await composeFromSubgraphs([{ name: 'echo', url }]),
        runDir: join(dataDir, 'hive-echo'),
      });
      await graphql(hive.url, '{ echo }', 'abc', { 'x-forwarded-for': '198.51.100.1', 'user-agent': 'phone-app/2.1' });
      await graphql(hive.url, '{ echo }', undefined, { 'user-agent': '' });
      assert.deepEqual(seenHeaders.slice(-2), [
        { authorization: 'JWT abc', xff: '198.51.100.1, 127.0.0.1', ua: 'phone-app/2.1' },
        { authorization: undefined, xff: '127.0.0.1', ua: '' },
      ]);
    } finally {
      await hive?.close();
      await server.stop();
    }
  });

  it('ships a gateway.config.ts that type-checks against the pinned Hive Gateway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sso-hive-tsc-'));
    try {
      copyFileSync(HIVE_GATEWAY_CONFIG, join(dir, 'gateway.config.ts'));
      symlinkSync(join(hiveGatewayDir(), 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [join(ROOT, 'node_modules/@types')],
          },
          files: ['gateway.config.ts'],
        }),
      );
      await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir]).catch((error: { stdout?: string }) =>
        assert.fail(error.stdout ?? String(error)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
