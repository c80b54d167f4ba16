import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { generateKeyPem, resolveSettings, type Algorithm, type SsoConfig } from '../../src/index.js';
import { identityEntities, identityMigrations, migrate, openDatabase, UserService } from '../../src/identity-exports.js';

const BIN = resolve(import.meta.dirname, '../../../bin/graphql-sso.js');

/** The PostgreSQL server benches use: `TEST_DATABASE_URL`'s, else `DATABASE_URL`'s, else the local one. */
const SERVER_URL = () => process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  kind: 'postgresql' | 'embedded';
  /** A fresh database on the PostgreSQL server; `null` for the embedded one (it lives in the data folder). */
  url: string | null;
  /** For a bench section's notes: which database, and why the embedded one if so. */
  label: string;
  drop(): Promise<void>;
}

/**
 * A fresh database on the PostgreSQL server (`TEST_DATABASE_URL`'s, or 127.0.0.1:5432); when no
 * server answers, the embedded PGlite of `serve` instead, and the label says so.
 */
export async function benchDatabase({ embedded = false }: { embedded?: boolean } = {}): Promise<BenchDatabase> {
  if (embedded)
    return { kind: 'embedded', url: null, label: 'embedded PGlite (the default without DATABASE_URL)', drop: async () => undefined };
  const server = SERVER_URL();
  const name = `sso_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`create database "${name}"`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    const host = new URL(server).host;
    return {
      kind: 'embedded',
      url: null,
      label: `embedded PGlite (no PostgreSQL server answered at ${host}: ${(error as Error).message})`,
      drop: async () => undefined,
    };
  }
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    kind: 'postgresql',
    url: url.toString(),
    label: `PostgreSQL at ${url.host} (a fresh database)`,
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
  /** Where this process can reach the service's database (the embedded one through `serve`'s socket). */
  databaseUrl: string;
  database: BenchDatabase;
  /** The password of the user `bench`. */
  password: string;
  /** The `serve` process (with `--workers`, the primary). */
  pid: number;
  /** The folder holding the signing key `bench-key.pem` (kid `bench-key`), for verifiers to read. */
  keyStoreRoot: string;
  stop(): Promise<void>;
}

export interface IdentityProcessOptions {
  algorithm?: Algorithm;
  /** bcrypt cost (default 12, the default setting). */
  passwordHashRounds?: number;
  /** `serve --workers N` (needs PostgreSQL). */
  workers?: number;
  /** More settings, e.g. `sessionCacheTtl: 0`. */
  settings?: SsoConfig;
  /** Users `bench-1` … `bench-N` besides `bench`, with its password (default none). */
  moreUsers?: number;
  /** Hook settings as `"module-path#exportName"`, for the JSON config `serve` reads (e.g. `createAuthorizationPayload`). */
  hooks?: Record<string, string>;
  /** Options of the `node` running `serve`, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** The embedded PGlite even when a PostgreSQL server answers. */
  embedded?: boolean;
  /** How `serve` reaches the (migrated) PostgreSQL database at `url`, e.g. through a pooler: its `DATABASE_URL` and `DATABASE_LISTEN_URL`. */
  serveDatabase?: (url: string) => { DATABASE_URL: string; DATABASE_LISTEN_URL?: string };
}

/**
 * `graphql-sso serve` in a process of its own (so load from this one does not share its event
 * loop), on a fresh database with one user `bench`, migrated beforehand.
 */
export async function startIdentityProcess(options: IdentityProcessOptions = {}): Promise<IdentityProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sso-bench-id-'));
  const database = await benchDatabase({ embedded: options.embedded });
  try {
    if (database.kind === 'embedded' && (options.workers ?? 1) > 1) throw new Error('serve --workers > 1 needs PostgreSQL');
    const algorithm = options.algorithm ?? 'RS256';
    writeFileSync(join(dir, 'bench-key.pem'), await generateKeyPem(algorithm), { mode: 0o600 });
    const config = {
      identity: 'bench',
      keyStoreRoot: dir,
      privateKeys: { bench: ['bench-key.pem'] },
      encodeAlgorithm: algorithm,
      passwordHashRounds: options.passwordHashRounds ?? 12,
      ...options.settings,
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...options.hooks }));
    const db = await openDatabase({
      url: database.url,
      dataDir: dir,
      entities: identityEntities,
      migrations: identityMigrations,
      logger: pino({ level: 'silent' }),
    });
    const password = 'bench-password';
    try {
      await migrate(db);
      await new UserService(db.orm, resolveSettings(config)).create({ username: 'bench', password });
      if (options.moreUsers) {
        await db.orm.em.getConnection().execute(`insert into users (id, username, password_hash, is_active, created_at, updated_at)
          select gen_random_uuid(), 'bench-' || n, password_hash, true, now(), now()
          from users, generate_series(1, ${options.moreUsers}) n where username = 'bench'`);
      }
    } finally {
      await db.close();
    }

    const args = [
      ...(options.nodeArgs ?? []),
      BIN,
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--no-migrate',
      ...(options.workers ? ['--workers', String(options.workers)] : []),
    ];
    const child: ChildProcess = spawn(process.execPath, args, {
      env: {
        ...process.env,
        DATABASE_URL: database.url ?? '',
        ...(database.url && options.serveDatabase ? options.serveDatabase(database.url) : {}),
        SSO_CONFIG: join(dir, 'config.json'),
        SSO_DATA_DIR: dir,
        LOG_LEVEL: 'warn',
      },
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
    const databaseUrl = database.url ?? embeddedUrl(dir);
    return {
      url,
      databaseUrl,
      database,
      password,
      pid: child.pid!,
      keyStoreRoot: dir,
      async stop() {
        child.removeAllListeners('exit');
        if (child.exitCode === null) {
          await new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          });
        }
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The address `serve` shares its embedded database at (`<data dir>/pglite/server.json`). */
function embeddedUrl(dataDir: string): string {
  const { socketDir } = JSON.parse(readFileSync(join(dataDir, 'pglite', 'server.json'), 'utf8')) as { socketDir: string };
  return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`;
}

export async function graphql(url: string, query: string, token?: string): Promise<Record<string, any>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as Record<string, any>;
}

export const LOGIN_QUERY = (password: string, username = 'bench') =>
  `mutation { obtainSessionToken(username: "${username}", password: "${password}") { token } }`;
export const MINT_QUERY = 'mutation { obtainAuthorizationToken { token } }';
export const ME_QUERY = '{ me { username } }';

export async function login(identity: IdentityProcess): Promise<string> {
  const answer = await graphql(identity.url, LOGIN_QUERY(identity.password));
  const token = answer.data?.obtainSessionToken?.token;
  if (typeof token !== 'string') throw new Error(`login failed: ${JSON.stringify(answer)}`);
  return token;
}

/** One `obtainAuthorizationToken`, failing loudly unless it yields a token. */
export async function mint(url: string, session: string): Promise<string> {
  const answer = await graphql(url, MINT_QUERY, session);
  const token = answer.data?.obtainAuthorizationToken?.token;
  if (typeof token !== 'string') throw new Error(`obtainAuthorizationToken failed: ${JSON.stringify(answer)}`);
  return token;
}
