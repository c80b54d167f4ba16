import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { queryCount } from '../support/metrics.js';

async function graphql(url: string, query: string, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

/** A connection of another process to the embedded database that `serve` shares (`<data>/pglite/server.json`). */
async function connectToEmbedded(data: string): Promise<pg.Client> {
  const { socketDir } = JSON.parse(readFileSync(join(data, 'pglite', 'server.json'), 'utf8')) as { socketDir: string };
  const client = new pg.Client({ host: socketDir, user: 'postgres', database: 'postgres' });
  await client.connect();
  return client;
}

describe('serve on the embedded database caches sessions, and a revocation made by another process is exact', () => {
  let work: string;
  let env: Record<string, string>;
  let server: ServeProcess;

  const login = async (username: string, password: string) => {
    const answer = await graphql(server.url, `mutation { obtainSessionToken(username: "${username}", password: "${password}") { token } }`);
    const token = answer.data?.obtainSessionToken?.token;
    assert.equal(typeof token, 'string', JSON.stringify(answer));
    return token as string;
  };
  const me = async (token: string) => graphql(server.url, '{ me { username } }', token);
  /** Two `me` in a row: the second reads no table when the session is cached. */
  const queriesOfASecondMe = async (token: string) => {
    assert.ok((await me(token)).data?.me);
    const before = await queryCount(server.url);
    assert.ok((await me(token)).data?.me);
    return (await queryCount(server.url)) - before;
  };
  const refused = (answer: Awaited<ReturnType<typeof me>>) => answer.errors?.[0]?.extensions?.code;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sso-embedded-cache-'));
    env = { SSO_DATA_DIR: join(work, 'data') };
    server = await startServe(env);
    for (const username of ['alice', 'bob', 'carol', 'dave']) {
      const created = await runCli(['users', 'create', '--username', username, '--password-stdin'], { env, input: `${username}-password` });
      assert.equal(created.code, 0, created.stderr);
    }
  });

  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers a repeated me from the cache: no database query', async () => {
    assert.equal(await queriesOfASecondMe(await login('alice', 'alice-password')), 0);
  });

  it('refuses the very next request after `users deactivate` from the CLI', async () => {
    const token = await login('bob', 'bob-password');
    assert.equal(await queriesOfASecondMe(token), 0);
    const run = await runCli(['users', 'deactivate', '--username', 'bob'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(refused(await me(token)), 'UNAUTHENTICATED');
  });

  it('refuses the very next request after `users set-password` from the CLI', async () => {
    const token = await login('carol', 'carol-password');
    assert.equal(await queriesOfASecondMe(token), 0);
    const run = await runCli(['users', 'set-password', '--username', 'carol', '--password-stdin'], { env, input: 'carol-new-password' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(refused(await me(token)), 'UNAUTHENTICATED');
    assert.ok((await me(await login('carol', 'carol-new-password'))).data?.me);
  });

  it("refuses the very next request after another process's transaction revokes the session", async () => {
    const token = await login('dave', 'dave-password');
    assert.equal(await queriesOfASecondMe(token), 0);
    const client = await connectToEmbedded(env.SSO_DATA_DIR!);
    try {
      await client.query('begin');
      await client.query(`update session_token set revoked_at = now() where user_id = (select id from users where username = 'dave')`);
      // Not committed yet: still valid.
      assert.ok((await me(token)).data?.me);
      await client.query('commit');
    } finally {
      await client.end();
    }
    assert.equal(refused(await me(token)), 'UNAUTHENTICATED');
  });

  it('stops caching, still exact, once a client of the socket runs UNLISTEN', async () => {
    const token = await login('alice', 'alice-password');
    assert.equal(await queriesOfASecondMe(token), 0);
    const client = await connectToEmbedded(env.SSO_DATA_DIR!);
    try {
      await client.query('unlisten *');
      assert.ok((await queriesOfASecondMe(token)) > 0, 'with its notifications gone, each request reads the session');
      await client.query(`update session_token set revoked_at = now() where user_id = (select id from users where username = 'alice')`);
    } finally {
      await client.end();
    }
    assert.equal(refused(await me(token)), 'UNAUTHENTICATED');
    assert.match(server.output(), /UNLISTEN or DISCARD: sessions are not cached/);
  });
});
