import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPem } from '../../src/index.js';
import { runCli, startServe } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LOGIN } from '../support/identity.js';

interface Answer {
  status: number;
  /** The pid of the worker that answered (`x-worker`). */
  worker: number;
  body: any;
}

/** One request on a connection of its own, so that the cluster hands it to the next worker. */
function send(url: string, { body, token }: { body?: unknown; token?: string } = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(url, {
      method: body === undefined ? 'GET' : 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    });
    req.on('error', fail);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode!, worker: Number(res.headers['x-worker']), body: JSON.parse(text) }));
    });
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('graphql-sso serve --workers', () => {
  let dir: string;
  let db: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sso-workers-'));
    writeFileSync(join(dir, 'myapp.pem'), await generateKeyPem(), { mode: 0o600 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ identity: 'myapp', keyStoreRoot: dir, privateKeys: { myapp: ['myapp.pem'] }, passwordHashRounds: 4 }),
    );
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, SSO_CONFIG: join(dir, 'config.json'), SSO_DATA_DIR: dir };
    const created = await runCli(['users', 'create', '--username', 'ivy', '--password-stdin'], { env, input: 'ivy-password' });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves from every worker, forwards SIGHUP, restarts a dead worker without failing requests, and stops on SIGTERM', async () => {
    const server = await startServe({ ...env, LOG_LEVEL: 'info' }, ['--workers', '2']);
    const listening = () => [...server.output().matchAll(/"worker":(\d+),"msg":"Worker listening"/g)].map((m) => Number(m[1]));
    const jwksUrl = new URL('/.well-known/jwks.json', server.url).href;
    const me = async (token: string) => {
      const answer = await send(server.url, { body: { query: '{ me { username } }' }, token });
      assert.deepEqual([answer.status, answer.body], [200, { data: { me: { username: 'ivy' } } }]);
      return answer.worker;
    };
    /** `count` `me` requests, four at a time; the workers that answered. */
    const meMany = async (token: string, count: number) => {
      const workers: number[] = [];
      for (let i = 0; i < count; i += 4) workers.push(...(await Promise.all([0, 1, 2, 3].map(() => me(token)))));
      return new Set(workers);
    };
    try {
      assert.ok(await until(() => listening().length === 2), server.output());
      const [first, second] = listening() as [number, number];
      assert.notEqual(first, server.child.pid, 'the primary serves nothing itself');

      const login = await send(server.url, { body: { query: LOGIN, variables: { username: 'ivy', password: 'ivy-password' } } });
      const token = login.body.data.obtainSessionToken.token as string;
      // A session made by one worker is honoured by both.
      assert.deepEqual(await meMany(token, 40), new Set([first, second]));

      // SIGHUP to the primary reaches every worker: a new key is served by both.
      writeFileSync(join(dir, 'myapp-2.pem'), await generateKeyPem(), { mode: 0o600 });
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({
          identity: 'myapp',
          keyStoreRoot: dir,
          privateKeys: { myapp: ['myapp-2.pem', 'myapp.pem'] },
          passwordHashRounds: 4,
        }),
      );
      server.child.kill('SIGHUP');
      const reloadedBy = new Set<number>();
      assert.ok(
        await until(async () => {
          const answer = await send(jwksUrl);
          if (answer.body.keys.length === 2) reloadedBy.add(answer.worker);
          return reloadedBy.size === 2;
        }),
        server.output(),
      );
      assert.equal(server.output().match(/Reloaded keys/g)?.length, 2);

      // A worker killed outright: the other goes on serving at once, and a new one takes its place.
      process.kill(first, 'SIGKILL');
      const died = new RegExp(`"worker":${first},"code":null,"signal":"SIGKILL","restartInMs":1000,"msg":"Worker died; restarting it"`);
      assert.ok(await until(() => died.test(server.output())), server.output());
      assert.ok(!(await meMany(token, 12)).has(first));
      assert.ok(await until(() => listening().length === 3), server.output());
      const replacement = listening()[2]!;
      assert.deepEqual(await meMany(token, 40), new Set([second, replacement]));
      // It started with the current settings: the reloaded keys.
      assert.equal((await send(jwksUrl)).body.keys.length, 2);
    } finally {
      const code = await new Promise<number | null>((done) => {
        server.child.removeAllListeners('exit');
        server.child.once('exit', (c) => done(c));
        server.child.kill('SIGTERM');
      });
      assert.equal(code, 0, server.output());
    }
    assert.ok(
      listening().every((pid) => !isAlive(pid)),
      'every worker stopped',
    );
    assert.match(server.output(), /"reason":"SIGTERM","msg":"Stopping the workers"/);
    assert.doesNotMatch(server.output().split('Stopping the workers')[1]!, /restarting/);
  });

  it('fails at start-up, rather than restart forever, when the workers cannot start', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    try {
      const { port } = blocker.address() as AddressInfo;
      const run = await runCli(['serve', '--workers', '2', '--host', '127.0.0.1', '--port', String(port)], {
        env: { ...env, LOG_LEVEL: 'info' },
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /EADDRINUSE/);
      assert.match(run.stderr, /A worker failed to start: stopping/);
    } finally {
      blocker.close();
    }
  });

  it('refuses more than one worker on the embedded database, and nonsense counts', async () => {
    const embedded = await runCli(['serve', '--workers', '2'], { env: { SSO_DATA_DIR: dir, SSO_CONFIG: join(dir, 'config.json') } });
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /--workers 2 needs DATABASE_URL \(a PostgreSQL server\)/);
    for (const count of ['0', '-1', '1.5', 'many', '65']) {
      const run = await runCli(['serve', '--workers', count], { env });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        new RegExp(`argument '${count.replace('.', '\\.')}' is invalid\\. must be a whole number of processes from 1 to 64`),
      );
    }
  });
});
