import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { generateKeyPem, identityEntities, identityMigrations, migrate, openDatabase, resolveSettings, UserService, type Algorithm } from '../../src/index.js';

const BIN = resolve(import.meta.dirname, '../../../bin/graphql-sso.js');

/** A fresh database on the local PostgreSQL server (`TEST_DATABASE_URL`'s, or 127.0.0.1:5432). */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `sso_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}

export interface IdentityProcess {
  url: string;
  databaseUrl: string;
  /** A user with this password exists: `bench`. */
  password: string;
  stop(): Promise<void>;
}

/**
 * `graphql-sso serve` in a process of its own (so load from this one does not share its event
 * loop), on a fresh PostgreSQL database, with one user `bench`.
 */
export async function startIdentityProcess(options: { algorithm?: Algorithm; passwordHashRounds?: number; workers?: number } = {}): Promise<IdentityProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sso-bench-id-'));
  const algorithm = options.algorithm ?? 'RS256';
  writeFileSync(join(dir, 'bench-key.pem'), await generateKeyPem(algorithm), { mode: 0o600 });
  const config = { identity: 'bench', keyStoreRoot: dir, privateKeys: { bench: ['bench-key.pem'] }, encodeAlgorithm: algorithm, passwordHashRounds: options.passwordHashRounds ?? 12 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const database = await benchDatabase();
  const logger = pino({ level: 'silent' });
  const db = await openDatabase({ url: database.url, dataDir: dir, entities: identityEntities, migrations: identityMigrations, logger });
  await migrate(db);
  const password = 'bench-password';
  await new UserService(db.orm, resolveSettings(config)).create({ username: 'bench', password });
  await db.close();

  const args = [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-migrate', ...(options.workers ? ['--workers', String(options.workers)] : [])];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, DATABASE_URL: database.url, SSO_CONFIG: join(dir, 'config.json'), SSO_DATA_DIR: dir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = /identity service: (http:\/\/\S+\/graphql)/.exec(out);
      if (match) done(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    databaseUrl: database.url,
    password,
    async stop() {
      child.removeAllListeners('exit');
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function graphql(url: string, query: string, token?: string): Promise<Record<string, any>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as Record<string, any>;
}

export const LOGIN_QUERY = (password: string) => `mutation { obtainSessionToken(username: "bench", password: "${password}") { token } }`;
export const MINT_QUERY = 'mutation { obtainAuthorizationToken { token } }';
export const ME_QUERY = '{ me { username } }';

export async function login(identity: IdentityProcess): Promise<string> {
  const answer = await graphql(identity.url, LOGIN_QUERY(identity.password));
  const token = answer.data?.obtainSessionToken?.token;
  if (typeof token !== 'string') throw new Error(`login failed: ${JSON.stringify(answer)}`);
  return token;
}
