import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LOGIN } from '../support/identity.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/graphql-sso.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  { env = {}, input, cwd = ROOT }: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', SSO_CONFIG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function login(url: string, username: string, password: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOGIN, variables: { username, password } }),
  });
  return (await res.json()) as { data?: { obtainSessionToken: { token: string } } | null; errors?: { message: string }[] };
}

function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', SSO_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const match = /identity service: (http:\/\/\S+\/graphql)/.exec(out);
      if (match) {
        clearTimeout(timer);
        done({ child, url: match[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => done(code));
    child.kill('SIGINT');
  });
}

describe('graphql-sso command line', () => {
  let work: string;
  let db: TestDatabase;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sso-cli-'));
    db = await createTestDatabase();
  });
  after(async () => {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('keys generate writes one PEM file with both keys, named ISSUER-YYYYMMDD.pem', async () => {
    const dir = join(work, 'keys');
    const run = await cli(['keys', 'generate', '--issuer', 'myapp', '--dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    const file = run.stdout.trim();
    const stamp = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    assert.equal(basename(file), `myapp-${stamp}.pem`);
    const pem = readFileSync(file, 'utf8');
    assert.match(pem, /BEGIN PRIVATE KEY[\s\S]*BEGIN PUBLIC KEY/);
    assert.equal(createPrivateKey(pem).asymmetricKeyType, 'rsa');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = await cli(['keys', 'generate', '--issuer', 'myapp', '--dir', dir]);
    assert.equal(basename(again.stdout.trim()), `myapp-${stamp}-2.pem`, 'a second key the same day does not overwrite the first');
  });

  it('keys generate --algorithm ES256 writes a P-256 key', async () => {
    const run = await cli(['keys', 'generate', '--issuer', 'ec', '--algorithm', 'ES256', '--dir', join(work, 'ec')]);
    assert.equal(run.code, 0, run.stderr);
    const key = createPublicKey(readFileSync(run.stdout.trim(), 'utf8'));
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('keys generate refuses an unknown algorithm and an unsafe issuer name', async () => {
    const alg = await cli(['keys', 'generate', '--issuer', 'x', '--algorithm', 'HS256', '--dir', work]);
    assert.notEqual(alg.code, 0);
    assert.match(alg.stderr, /HS256.*Allowed choices are RS256/s);
    const name = await cli(['keys', 'generate', '--issuer', '../evil', '--dir', work]);
    assert.equal(name.code, 1);
    assert.match(name.stderr, /Issuer name may hold only/);
  });

  it('migrate applies the migrations once', async () => {
    const first = await cli(['migrate'], { env: { DATABASE_URL: db.url } });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied: Migration20261128000000/);
    const second = await cli(['migrate'], { env: { DATABASE_URL: db.url } });
    assert.equal(second.stdout.trim(), 'Database is up to date.');
  });

  it('users create reads the password from stdin and refuses bad input', async () => {
    const env = { DATABASE_URL: db.url };
    const created = await cli(['users', 'create', '--username', 'dave', '--email', 'dave@example.com', '--password-stdin'], {
      env,
      input: 'dave-password\n',
    });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Created user dave \(/);
    const duplicate = await cli(['users', 'create', '--username', 'dave', '--password-stdin'], { env, input: 'x' });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /A user named "dave" already exists/);
    const empty = await cli(['users', 'create', '--username', 'erin', '--password-stdin'], { env, input: '' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /Password must not be empty/);
    const noStdin = await cli(['users', 'create', '--username', 'erin'], { env });
    assert.equal(noStdin.code, 1);
    assert.match(noStdin.stderr, /--password-stdin is required/);
  });

  it('schema prints the SDL, identical to the committed schema.graphql', async () => {
    const run = await cli(['schema']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /obtainSessionToken\(username: String!, password: String!, clientId: String\): TokenResult!/);
    assert.equal(run.stdout, readFileSync(join(ROOT, 'schema.graphql'), 'utf8'), 'schema.graphql is stale: run `npm run schema`');
  });

  it('serve refuses a bad config before listening, naming the setting', async () => {
    const config = join(work, 'bad.json');
    writeFileSync(config, JSON.stringify({ identity: 'myapp', authorizationExpiration: 'soon' }));
    const run = await cli(['serve', '--port', '0', '--config', config], { env: { SSO_DATA_DIR: join(work, 'bad-data') } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Invalid setting "authorizationExpiration": must be a number of seconds/);
    const missingKey = join(work, 'missing-key.json');
    writeFileSync(missingKey, JSON.stringify({ identity: 'myapp', keyStoreRoot: work, privateKeys: { myapp: 'nope.pem' } }));
    const keyRun = await cli(['serve', '--port', '0', '--config', missingKey], { env: { SSO_DATA_DIR: join(work, 'bad-data') } });
    assert.equal(keyRun.code, 1);
    assert.match(keyRun.stderr, /Invalid setting "privateKeys.myapp": key file .*nope\.pem: file not found/);
  });

  it('a newcomer: serve on the embedded database, create a user from a second process, log in', async () => {
    const data = join(work, 'embedded');
    const env = { SSO_DATA_DIR: data };
    const server = await startServe(env);
    try {
      assert.match(server.output(), /created a development key/);
      assert.ok(existsSync(join(data, 'keys')));
      const created = await cli(['users', 'create', '--username', 'alice', '--password-stdin'], {
        env,
        input: 'correct horse battery staple',
      });
      assert.equal(created.code, 0, created.stderr);
      const result = await login(server.url, 'alice', 'correct horse battery staple');
      assert.ok(result.data?.obtainSessionToken.token, JSON.stringify(result));
      const jwks = (await (await fetch(new URL('/.well-known/jwks.json', server.url))).json()) as {
        keys: { kid: string; alg: string; use: string }[];
      };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0]!.alg, 'RS256');
      assert.match(jwks.keys[0]!.kid, /^graphql-sso-\d{8}$/);
      const health = await fetch(new URL('/healthz', server.url));
      assert.equal(health.status, 200);
      const ready = await fetch(new URL('/readyz', server.url));
      assert.deepEqual(
        [ready.status, await ready.json()],
        [200, { status: 'ready', database: 'up' }],
        'readiness covers the embedded database too',
      );
    } finally {
      assert.equal(await stop(server.child), 0);
    }
    // No server now: the command opens the embedded database itself; data and key survived.
    const offline = await cli(['users', 'create', '--username', 'bob', '--password-stdin'], { env, input: 'bob-password' });
    assert.equal(offline.code, 0, offline.stderr);
    const again = await startServe(env);
    try {
      assert.doesNotMatch(again.output(), /created a development key/);
      const result = await login(again.url, 'bob', 'bob-password');
      assert.ok(result.data?.obtainSessionToken.token, JSON.stringify(result));
    } finally {
      await stop(again.child);
    }
  });
});
