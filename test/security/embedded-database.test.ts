import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsError, resolveSettings } from '../../src/index.js';
import { openIdentityDatabase, type Database } from '../../src/identity.js';
import { ROOT } from '../support/cli.js';
import { createTestLogger } from '../support/database.js';

/** Every path under `path` (itself included) whose mode lets group or others in. */
function openToOthers(path: string): string[] {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return [];
  const found = (stat.mode & 0o077) !== 0 ? [`${path} ${(stat.mode & 0o777).toString(8)}`] : [];
  if (stat.isDirectory()) for (const name of readdirSync(path)) found.push(...openToOthers(join(path, name)));
  return found;
}

const mode = (path: string) => lstatSync(path).mode & 0o777;

/**
 * The embedded database `serve` shares with the CLI asks no password: only its owner may reach
 * it (a Unix socket in a 0700 folder, no TCP port) or read its files (0700/0600).
 */
describe('the embedded database is its owner’s alone', () => {
  let dataDir: string;
  let db: Database;
  const settings = resolveSettings({ identity: 'myapp' });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sso-embedded-'));
    db = await openIdentityDatabase({ settings, url: null, dataDir, serveEmbedded: true, logger: createTestLogger() });
    await db.orm.em.fork().getConnection().execute('create table probe (x int)');
  });

  after(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const record = () => JSON.parse(readFileSync(join(dataDir, 'pglite', 'server.json'), 'utf8')) as Record<string, unknown>;

  it('its folder and every data file are closed to group and others', () => {
    assert.equal(db.kind, 'embedded');
    assert.equal(mode(join(dataDir, 'pglite')), 0o700);
    assert.deepEqual(openToOthers(join(dataDir, 'pglite')), []);
    assert.equal(mode(join(dataDir, 'pglite', 'server.json')), 0o600);
  });

  it('is served on a Unix socket in a 0700 folder, not on a TCP port', () => {
    const shared = record();
    assert.equal(shared.host, undefined);
    assert.equal(shared.port, undefined);
    assert.equal(typeof shared.socketDir, 'string');
    assert.equal(mode(shared.socketDir as string), 0o700);
    assert.ok(lstatSync(join(shared.socketDir as string, '.s.PGSQL.5432')).isSocket());
  });

  /** Runs `select count(*) from probe` through the socket in a child process as `uid` (default: ours). */
  const queryFrom = async (uid?: number) => {
    const url = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(record().socketDir as string)}`;
    const script = `const c = new (require('pg').Client)({ connectionString: ${JSON.stringify(url)} });
      c.connect().then(() => c.query('select count(*)::int as n from probe')).then((r) => { console.log('rows', r.rows[0].n); process.exit(0); },
        (e) => { console.log(e.code); process.exit(0); });`;
    // Not spawnSync: this process serves the socket, so it must keep running meanwhile.
    const run = await promisify(execFile)(process.execPath, ['-e', script], {
      ...(uid === undefined ? {} : { uid, gid: uid }),
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return `${run.stdout}${run.stderr}`.trim();
  };

  it('another process of its owner reaches it through the socket', async () => {
    assert.equal(await queryFrom(), 'rows 0');
  });

  it(
    'a process of another user cannot connect',
    { skip: process.getuid?.() !== 0 && 'needs root, to run a process as another user (nobody)' },
    async () => {
      assert.equal(await queryFrom(65534), 'EACCES');
    },
  );
});

describe('the embedded database in production', () => {
  it('is refused with NODE_ENV=production, naming the setting that allows it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sso-embedded-'));
    try {
      await assert.rejects(
        openIdentityDatabase({ settings: resolveSettings({}), url: null, dataDir, nodeEnv: 'production', logger: createTestLogger() }),
        (error: unknown) => error instanceof SettingsError && /embeddedDatabaseInProduction/.test(error.message),
      );
      const db = await openIdentityDatabase({
        settings: resolveSettings({ embeddedDatabaseInProduction: true }),
        url: null,
        dataDir,
        nodeEnv: 'production',
        logger: createTestLogger(),
      });
      assert.equal(db.kind, 'embedded');
      await db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
