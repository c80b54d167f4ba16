import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { LOGIN } from '../support/identity.js';

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graphql-sso serve reloads its keys on SIGHUP', () => {
  let work: string;
  let db: TestDatabase;
  let server: ServeProcess;
  let config: string;
  let env: Record<string, string>;
  /** A login token signed by the first key, before the rotation. */
  let oldToken: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sso-reload-'));
    db = await createTestDatabase();
    const keyDir = join(work, 'keys');
    const generated = await runCli(['keys', 'generate', '--issuer', 'myapp', '--dir', keyDir]);
    assert.equal(generated.code, 0, generated.stderr);
    config = join(work, 'sso.json');
    writeFileSync(
      config,
      JSON.stringify(
        { identity: 'myapp', keyStoreRoot: keyDir, privateKeys: { myapp: basename(generated.stdout.trim()) }, passwordHashRounds: 4 },
        null,
        2,
      ),
    );
    env = { DATABASE_URL: db.url, SSO_CONFIG: config, SSO_DATA_DIR: join(work, 'data'), LOG_LEVEL: 'info' };
    server = await startServe(env);
    const created = await runCli(['users', 'create', '--username', 'alice', '--password-stdin'], {
      env: { ...env, LOG_LEVEL: 'warn' },
      input: 'alice-password',
    });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0);
    await db.close();
    rmSync(work, { recursive: true, force: true });
  });

  const jwks = async () =>
    ((await (await fetch(new URL('/.well-known/jwks.json', server.url))).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  const login = async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: LOGIN, variables: { username: 'alice', password: 'alice-password' } }),
    });
    const body = (await res.json()) as { data?: { obtainSessionToken: { token: string } } };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.data!.obtainSessionToken.token;
  };
  const me = async (token: string) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
      body: JSON.stringify({ query: '{ me { username } }' }),
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string }[] } };
  };

  it('keys rotate + SIGHUP: the JWKS lists the new kid first, logins carry it, old tokens still work, no request fails', async (t) => {
    const [oldKid] = await jwks();
    oldToken = await login();
    assert.equal(kidOf(oldToken), oldKid);

    const rotated = await runCli(['keys', 'rotate', '--issuer', 'myapp', '--config', config]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = /^Key id \(kid\): (.+)$/m.exec(rotated.stdout)![1]!;
    assert.deepEqual(await jwks(), [oldKid], 'nothing changes before the signal');

    // Requests in flight across the reload: JWKS, token verification and logins (signing).
    let reloaded = false;
    const failures: string[] = [];
    let served = 0;
    const loop = async (request: () => Promise<void>) => {
      let afterReload = 0;
      while (afterReload < 5) {
        try {
          await request();
          served += 1;
        } catch (error) {
          failures.push(String(error));
        }
        if (reloaded) afterReload += 1;
      }
    };
    const loops = [
      loop(async () => assert.ok((await jwks()).length > 0)),
      loop(async () => assert.deepEqual(await me(oldToken), { status: 200, body: { data: { me: { username: 'alice' } } } })),
      loop(async () => assert.ok([oldKid, newKid].includes(kidOf(await login())))),
      loop(async () => assert.equal((await me(await login())).status, 200)),
    ];
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGHUP');
    await waitFor(async () => (await jwks())[0] === newKid, 'the new kid in the JWKS');
    reloaded = true;
    await Promise.all(loops);
    assert.deepEqual(failures, [], `${failures.length} requests failed during the reload`);
    assert.ok(served > 20, `only ${served} requests were served`);
    t.diagnostic(`${served} requests served across the reload`);
    assert.match(server.output(), /Reloaded keys/);
    assert.equal(server.child.exitCode, null, 'still running');

    assert.deepEqual(await jwks(), [newKid, oldKid]);
    assert.equal(kidOf(await login()), newKid);
    assert.equal((await me(oldToken)).status, 200, 'a token of the older listed key still verifies');
  });

  it('a bad config on SIGHUP is logged and the current keys stay', async () => {
    const before = await jwks();
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(good), privateKeys: { myapp: ['gone.pem'] } }));
    server.child.kill('SIGHUP');
    await waitFor(() => /Reload failed: keeping the current keys/.test(server.output()), 'the reload error in the log');
    assert.match(server.output(), /gone\.pem: file not found/);
    assert.deepEqual(await jwks(), before);
    assert.equal(kidOf(await login()), before[0]);
    writeFileSync(config, good);
  });

  it('retiring the old key on SIGHUP refuses its tokens', async () => {
    const [current, old] = await jwks();
    assert.equal(kidOf(oldToken), old);
    const settings = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...settings, privateKeys: { myapp: [`${current}.pem`] } }));
    server.child.kill('SIGHUP');
    await waitFor(async () => (await jwks()).length === 1, 'the old key gone from the JWKS');
    assert.deepEqual(await jwks(), [current]);
    const refused = await me(oldToken);
    assert.equal(refused.status, 401);
    assert.match(refused.body.errors?.[0]?.message ?? '', /Unauthorized token signing key/);
    assert.equal((await me(await login())).status, 200);
  });
});
