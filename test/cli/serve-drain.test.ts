import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPem } from '../../src/index.js';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LOGIN } from '../support/identity.js';

async function until(condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const exited = (server: ServeProcess) =>
  new Promise<number | null>((resolve) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    server.child.removeAllListeners('exit');
    server.child.once('exit', (code) => resolve(code));
  });

/** Whether a new connection to the server's port is refused: it no longer accepts. */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function getJson(url: string | URL): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/**
 * A login that is in flight when `signal` is sent: its headers are in (the server answered
 * `100 Continue`), its body is sent only once `afterSignal` says the server is shutting down.
 */
function loginAcrossSignal(
  server: ServeProcess,
  credentials: { username: string; password: string },
  afterSignal: () => Promise<void>,
): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ query: LOGIN, variables: credentials });
  return new Promise((done, fail) => {
    const req = request(server.url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    });
    req.on('error', fail);
    req.on('continue', () => {
      server.child.kill('SIGTERM');
      afterSignal().then(() => req.end(body), fail);
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.flushHeaders();
  });
}

describe('graphql-sso serve on SIGTERM', () => {
  let dir: string;
  let db: TestDatabase;
  let env: Record<string, string>;
  let server: ServeProcess | undefined;
  const shuttingDown =
    (times = 1) =>
    async () => {
      assert.ok(await until(() => (server!.output().match(/"msg":"Shutting down"/g)?.length ?? 0) >= times), server!.output());
    };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sso-drain-'));
    writeFileSync(join(dir, 'myapp.pem'), await generateKeyPem(), { mode: 0o600 });
    const settings = { identity: 'myapp', keyStoreRoot: dir, privateKeys: { myapp: ['myapp.pem'] }, passwordHashRounds: 4 };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(settings));
    writeFileSync(join(dir, 'delayed.json'), JSON.stringify({ ...settings, shutdownDelay: 4 }));
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, SSO_CONFIG: join(dir, 'config.json'), SSO_DATA_DIR: dir, LOG_LEVEL: 'info' };
    const created = await runCli(['users', 'create', '--username', 'ivy', '--password-stdin'], { env, input: 'ivy-password' });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a request in flight, then closes the database and exits 0', async () => {
    server = await startServe(env);
    assert.deepEqual(await getJson(new URL('/readyz', server.url)), { status: 200, body: { status: 'ready', database: 'up' } });
    const stoppedAccepting = async () => {
      await shuttingDown()();
      assert.ok(await until(() => refusesConnections(server!.url)), 'it stops accepting before the request in flight is answered');
    };
    const answer = await loginAcrossSignal(server, { username: 'ivy', password: 'ivy-password' }, stoppedAccepting);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.data.obtainSessionToken.token, /^ey/);
    assert.equal(await exited(server), 0, server.output());
  });

  it('with --workers: the primary forwards SIGTERM, each worker drains, and it exits 0', async () => {
    server = await startServe(env, ['--workers', '2']);
    assert.ok(await until(() => (server!.output().match(/"msg":"Worker listening"/g)?.length ?? 0) === 2), server.output());
    const answer = await loginAcrossSignal(server, { username: 'ivy', password: 'ivy-password' }, shuttingDown(2));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(await exited(server), 0, server.output());
  });

  it('with shutdownDelay: /readyz answers 503 while it still serves, then it stops', async () => {
    server = await startServe({ ...env, SSO_CONFIG: join(dir, 'delayed.json') });
    const readyz = new URL('/readyz', server.url);
    assert.equal((await getJson(readyz)).status, 200);
    server.child.kill('SIGTERM');
    await shuttingDown()();
    assert.ok(await until(async () => (await getJson(readyz)).status === 503), server.output());
    assert.deepEqual(await getJson(readyz), { status: 503, body: { status: 'unready', reason: 'shutting down' } });
    assert.deepEqual(await getJson(new URL('/healthz', server.url)), { status: 200, body: { status: 'ok' } });
    const login = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: LOGIN, variables: { username: 'ivy', password: 'ivy-password' } }),
    });
    assert.equal(login.status, 200, 'requests are still served during the delay');
    assert.equal(await exited(server), 0, server.output());
  });
});
