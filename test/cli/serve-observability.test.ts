import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { LOGIN } from '../support/identity.js';
import { scrape } from '../support/metrics.js';

const PASSWORD = 'cli-S3cret-password';

describe('graphql-sso serve: logs and metrics', () => {
  let work: string;
  let db: TestDatabase;
  let server: ServeProcess;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sso-observe-'));
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(work, 'data'), LOG_LEVEL: 'trace' };
    server = await startServe(env);
    const created = await runCli(['users', 'create', '--username', 'alice', '--password-stdin'], { env, input: PASSWORD });
    assert.equal(created.code, 0, created.stderr);
    assert.ok(!created.stderr.includes(PASSWORD));
  });
  after(async () => {
    if (server) await server.stop();
    await db.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('logs each request with its id on stderr, never the password or the token, and counts the login', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'cli-login-1' },
      body: JSON.stringify({ query: LOGIN, variables: { username: 'alice', password: PASSWORD } }),
    });
    const token = ((await res.json()) as { data: { obtainSessionToken: { token: string } } }).data.obtainSessionToken.token;
    assert.equal(res.headers.get('x-request-id'), 'cli-login-1');
    const metrics = await scrape(new URL(server.url).origin);
    assert.equal(metrics.value('sso_logins_total', { outcome: 'success' }), 1);
    assert.equal(metrics.value('sso_tokens_issued_total', { type: 'session' }), 1);
    const access = () =>
      server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.requestId === 'cli-login-1' && line.msg === 'request completed');
    for (let attempt = 0; attempt < 100 && !access(); attempt++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([access()?.method, access()?.path, access()?.status], ['POST', '/graphql', 200]);
    assert.ok(!server.output().includes(PASSWORD));
    assert.ok(!server.output().includes(token.split('.')[2]!));
  });
});
