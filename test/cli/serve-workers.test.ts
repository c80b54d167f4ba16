import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPem } from '../../src/index.js';
import { runCli, startServe } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LOGIN } from '../support/identity.js';

describe('graphql-sso serve --workers', () => {
  let dir: string;
  let db: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sso-workers-'));
    writeFileSync(join(dir, 'myapp.pem'), await generateKeyPem(), { mode: 0o600 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ identity: 'myapp', keyStoreRoot: dir, privateKeys: { myapp: ['myapp.pem'] }, passwordHashRounds: 4 }));
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, SSO_CONFIG: join(dir, 'config.json'), SSO_DATA_DIR: dir };
    const created = await runCli(['users', 'create', '--username', 'ivy', '--password-stdin'], { env, input: 'ivy-password' });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves from several processes, restarts a dead worker, and stops cleanly on SIGTERM', async () => {
    const server = await startServe({ ...env, LOG_LEVEL: 'info' }, ['--workers', '2']);
    const workerPids = () => [...server.output().matchAll(/"worker":(\d+),"msg":"Worker listening"/g)].map((m) => Number(m[1]));
    const until = async (condition: () => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return condition();
    };
    try {
      assert.equal(await until(() => workerPids().length === 2), true, server.output());
      const ask = async () => {
        const login = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: LOGIN, variables: { username: 'ivy', password: 'ivy-password' } }) });
        const token = ((await login.json()) as any).data.obtainSessionToken.token as string;
        const me = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `JWT ${token}` }, body: JSON.stringify({ query: '{ me { username } }' }) });
        return ((await me.json()) as any).data.me.username as string;
      };
      for (let i = 0; i < 10; i += 1) assert.equal(await ask(), 'ivy');

      const [victim] = workerPids();
      process.kill(victim!, 'SIGKILL');
      assert.equal(await until(() => /Worker died; restarting it/.test(server.output()) && workerPids().length === 3), true, server.output());
      for (let i = 0; i < 10; i += 1) assert.equal(await ask(), 'ivy');
    } finally {
      const code = await new Promise<number | null>((done) => {
        server.child.removeAllListeners('exit');
        server.child.once('exit', (c) => done(c));
        server.child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    }
  });

  it('refuses more than one worker on the embedded database, and nonsense counts', async () => {
    const embedded = await runCli(['serve', '--workers', '2'], { env: { SSO_DATA_DIR: dir, SSO_CONFIG: join(dir, 'config.json') } });
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /--workers above 1 needs DATABASE_URL/);
    for (const count of ['0', '1.5', 'many']) {
      const run = await runCli(['serve', '--workers', count], { env });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /must be a whole number of processes from 1 to 64/);
    }
  });
});
