import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_PASSWORD, demoWalkthrough, startDemo, type Demo } from '../../examples/demo.js';
import { DEMO_ISSUER } from '../../examples/identity/service.js';
import { startOtherapp } from '../../examples/otherapp/server.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';
import { answersOf, graphql, seen } from '../support/demo-client.js';
import { payloadOf, type GraphQLResponse } from '../support/identity.js';

const run = promisify(execFile);

describe('federated demo: identity + otherapp behind @apollo/gateway', () => {
  let demo: Demo;
  let dataDir: string;
  let database: TestDatabase;
  let alice: { session: string; token: string };
  let bob: { session: string; token: string };

  async function login(username: string): Promise<string> {
    const response = await graphql(
      demo.gateway.url,
      `mutation { obtainSessionToken(username: "${username}", password: "${DEMO_PASSWORD}") { token } }`,
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data!.obtainSessionToken.token;
  }

  async function mint(session: string, account: string): Promise<GraphQLResponse> {
    return graphql(demo.gateway.url, `mutation { obtainAuthorizationToken(account: "${account}") { token } }`, session);
  }

  /** Sends the query through the gateway and straight to otherapp; both must answer alike. */
  async function both(query: string, token?: string) {
    const [viaGateway, direct] = await Promise.all([graphql(demo.gateway.url, query, token), graphql(demo.otherapp.url, query, token)]);
    assert.deepEqual(seen(viaGateway), seen(direct), 'the gateway and the subgraph answer alike');
    return viaGateway;
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sso-demo-'));
    database = await createTestDatabase();
    // Both services in one database, as with the demo's DATABASE_URL: their tables and
    // migrations must not collide.
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      databaseUrls: { identity: database.url, otherapp: database.url },
      logger: createTestLogger(),
      passwordHashRounds: 4,
    });
    const aliceSession = await login('alice');
    const bobSession = await login('bob');
    alice = { session: aliceSession, token: (await mint(aliceSession, '1')).body.data!.obtainAuthorizationToken.token };
    bob = { session: bobSession, token: (await mint(bobSession, '2')).body.data!.obtainAuthorizationToken.token };
  });

  after(async () => {
    await demo?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('mints authorization tokens for an account, with the owner scope for owners only', () => {
    const claims = payloadOf(alice.token);
    assert.equal(claims.iss, DEMO_ISSUER);
    assert.deepEqual(claims.aud, [DEMO_ISSUER, 'otherapp']);
    assert.equal(claims.account, '1');
    assert.deepEqual(claims.scopes, ['accounts:read-balance']);
    assert.equal(claims.uid, demo.users.get('alice'));
    assert.deepEqual(payloadOf(bob.token).scopes, []);
    assert.equal(payloadOf(bob.token).account, '2');
  });

  it('refuses a token for an account the user is not a member of', async () => {
    const response = await mint(bob.session, '1');
    assert.equal(response.body.data, null);
    assert.equal(response.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(response.body.errors![0]!.message, /not a member of account 1/);
  });

  it('answers one query across both subgraphs', async () => {
    const response = await graphql(
      demo.gateway.url,
      '{ me { username accounts { id name balance } } account(id: "1") { name balance } }',
      alice.token,
    );
    assert.deepEqual(response.body, {
      data: {
        me: { username: 'alice', accounts: [{ id: '1', name: 'Alice & Co', balance: 1200 }] },
        account: { name: 'Alice & Co', balance: 1200 },
      },
    });
  });

  it('reads the fields a token allows, the same through the gateway and directly', async () => {
    const response = await both('{ account(id: "1") { id name balance } publicStatus }', alice.token);
    assert.deepEqual(response.body.data, { account: { id: '1', name: 'Alice & Co', balance: 1200 }, publicStatus: 'otherapp is up' });
    assert.equal(response.body.errors, undefined);
  });

  it('refuses another account: null and FORBIDDEN naming the policy, other fields kept', async () => {
    const response = await both('{ account(id: "2") { name } publicStatus }', alice.token);
    assert.deepEqual(response.body.data, { account: null, publicStatus: 'otherapp is up' });
    assert.equal(response.body.errors?.length, 1);
    assert.equal(response.body.errors![0]!.extensions?.code, 'FORBIDDEN');
    assert.match(response.body.errors![0]!.message, /account-member/);
  });

  it('refuses a field needing a scope the token lacks, keeping the rest of the object', async () => {
    const response = await both('{ account(id: "2") { id name balance } }', bob.token);
    assert.deepEqual(response.body.data, { account: { id: '2', name: 'Bob’s club', balance: null } });
    assert.equal(response.body.errors?.length, 1);
    assert.deepEqual(response.body.errors![0]!.path, ['account', 'balance']);
    assert.equal(response.body.errors![0]!.extensions?.code, 'FORBIDDEN');
    assert.match(response.body.errors![0]!.message, /accounts:read-balance/);
  });

  it('refuses anonymous callers guarded fields but answers public ones', async () => {
    const response = await both('{ publicStatus account(id: "1") { name } }');
    assert.deepEqual(response.body.data, { publicStatus: 'otherapp is up', account: null });
    assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const me = await graphql(demo.gateway.url, '{ me { username accounts { id } } }');
    assert.deepEqual(me.body, { data: { me: null } });
  });

  it('refuses an invalid token for the whole request, through the gateway as directly', async () => {
    const forged = `${alice.token.slice(0, -6)}AAAAAA`;
    const viaGateway = await graphql(demo.gateway.url, '{ publicStatus }', forged);
    const direct = await graphql(demo.otherapp.url, '{ publicStatus }', forged);
    assert.equal(direct.status, 401);
    assert.equal(direct.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(viaGateway.status, 401);
    assert.equal(viaGateway.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    // The gateway answers every root field with null; the subgraph refuses before execution.
    assert.equal(viaGateway.body.data?.publicStatus ?? null, null);
    assert.equal(direct.body.data ?? null, null);
  });

  it('lists only the caller’s own accounts when a user is referenced directly', async () => {
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { accounts { id } } } }`;
    const response = await fetch(demo.otherapp.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${bob.token}` },
      body: JSON.stringify({ query, variables: { representations: [{ __typename: 'User', id: demo.users.get('alice') }] } }),
    });
    const body = (await response.json()) as GraphQLResponse['body'];
    assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  it('keeps one local user per token subject in otherapp, created on first sight', async () => {
    await both('{ account(id: "1") { name } }', alice.token);
    await both('{ account(id: "1") { name } }', alice.token);
    const rows = await demo.otherapp.db.orm.em
      .fork()
      .getConnection()
      .execute<{ issuer: string; external_id: string; email: string }[]>(
        'select issuer, external_id, email from otherapp_user order by email',
      );
    assert.deepEqual(
      rows.map((row) => ({ ...row })),
      [
        { issuer: DEMO_ISSUER, external_id: demo.users.get('alice'), email: 'alice@example.com' },
        { issuer: DEMO_ISSUER, external_id: demo.users.get('bob'), email: 'bob@example.com' },
      ],
    );
  });

  it('verifies with public keys read from PEM files instead of the JWKS', async () => {
    const keyDir = join(dataDir, 'identity', 'keys');
    const [keyFile] = readdirSync(keyDir);
    const otherDb = await createTestDatabase();
    const fromFiles = await startOtherapp({
      port: 0,
      host: '127.0.0.1',
      issuer: DEMO_ISSUER,
      keyStoreRoot: keyDir,
      publicKeys: { [DEMO_ISSUER]: [keyFile!] },
      databaseUrl: otherDb.url,
      dataDir,
      logger: createTestLogger(),
    });
    try {
      await fromFiles.accounts().save({ id: '1', name: 'Alice & Co', balance: 1200 }, [demo.users.get('alice')!]);
      const response = await graphql(fromFiles.url, '{ account(id: "1") { name balance } }', alice.token);
      assert.deepEqual(response.body, { data: { account: { name: 'Alice & Co', balance: 1200 } } });
      const refused = await graphql(fromFiles.url, '{ account(id: "1") { name } }', `${alice.token}x`);
      assert.equal(refused.status, 401);
    } finally {
      await fromFiles.close();
      await otherDb.close();
    }
  });

  it('runs the gateway in a process of its own', () => {
    assert.equal(demo.gateway.kind, 'apollo');
    assert.notEqual(demo.gateway.pid, process.pid);
    process.kill(demo.gateway.pid, 0);
  });

  it("shows the identity service the client's user agent, not the gateway's", async () => {
    const login = await fetch(demo.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'demo-phone/1.0' },
      body: JSON.stringify({
        query: `mutation { obtainSessionToken(username: "alice", password: "${DEMO_PASSWORD}", clientId: "phone") { token } }`,
      }),
    });
    const session = ((await login.json()) as GraphQLResponse['body']).data!.obtainSessionToken.token;
    const sessions = await graphql(demo.gateway.url, '{ mySessions { clientId userAgent current } }', session);
    const current = (sessions.body.data!.mySessions as { clientId: string; userAgent: string; current: boolean }[]).find((s) => s.current);
    assert.deepEqual(current, { clientId: 'phone', userAgent: 'demo-phone/1.0', current: true });
  });

  it('composes a supergraph that keeps the directives, for Apollo Router', () => {
    const supergraph = demo.supergraphSdl;
    for (const feature of ['authenticated/v0.1', 'requiresScopes/v0.1', 'policy/v0.1']) {
      assert.match(supergraph, new RegExp(`@link\\(url: "https://specs.apollo.dev/${feature}", for: SECURITY\\)`));
    }
    assert.match(
      supergraph,
      /balance: Int @requiresScopes\(scopes: \[\["accounts:read-balance"\]\]\) @policy\(policies: \[\["account-member"\]\]\)/,
    );
    assert.match(supergraph, /accounts: \[Account!\]! @join__field\(graph: OTHERAPP\) @authenticated/);
  });

  it('ships a compose script: the full supergraph, and the gateway-safe one an unlicensed Apollo Router loads', async () => {
    const script = join(import.meta.dirname, '../../examples/hive-gateway/compose.js');
    const subgraphs = [`identity=${demo.identity.url}`, `otherapp=${demo.otherapp.url}`];
    const full = (await run(process.execPath, [script, ...subgraphs])).stdout;
    assert.equal(full, demo.supergraphSdl);
    const out = join(dataDir, 'supergraph.gateway-safe.graphql');
    await run(process.execPath, [script, ...subgraphs, '--gateway-safe', '--out', out]);
    const safe = readFileSync(out, 'utf8');
    // The Router's license check refuses these schema features without a GraphOS plan.
    for (const feature of ['authenticated', 'requiresScopes', 'policy']) assert.ok(!safe.includes(`specs.apollo.dev/${feature}`), feature);
    assert.match(safe, /balance: Int @join__field\(graph: OTHERAPP\)|balance: Int\n/);
    assert.match(safe, /accounts: \[Account!\]! @join__field\(graph: OTHERAPP\)/);
  });

  it('prints a walkthrough that works verbatim', async () => {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', demoWalkthrough(demo.gateway.url)]);
    const answers = answersOf(stdout) as any[];
    assert.equal(answers.length, 5);
    assert.deepEqual(answers[0].data.me.accounts, [{ id: '1', name: 'Alice & Co', balance: 1200 }]);
    assert.equal(answers[1].errors[0].extensions.code, 'FORBIDDEN');
    assert.deepEqual(answers[2].data, { account: { name: 'Bob’s club', balance: null } });
    assert.equal(answers[3].errors[0].extensions.code, 'FORBIDDEN');
    assert.equal(answers[4].data.publicStatus, 'otherapp is up');
    assert.equal(answers[4].errors[0].extensions.code, 'UNAUTHENTICATED');
  });
});
