import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { ACCOUNT_MIGRATIONS, createdUserId, loginAt, mintFor, writeAccountApp } from '../support/account-app.js';
import { createAppDir, payloadOf, type AppDir } from '../support/app.js';
import { runCli, startServe } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const IDENTITY_MIGRATIONS = identityMigrations.map((migration) => migration.name);

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const tableExists = async (url: string, table: string) =>
  (await query<{ exists: boolean }>(url, 'select to_regclass($1) is not null as exists', [table]))[0]!.exists;

const recorded = async (url: string) =>
  (await query<{ name: string }>(url, 'select name from sso_migrations order by id')).map((row) => row.name);

describe("graphql-sso and an application's own tables (entities, migrations)", () => {
  let app: AppDir;
  let jsConfig: string;
  let jsonConfig: string;
  const databases: TestDatabase[] = [];
  const freshDatabase = async () => {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  };

  before(() => {
    app = createAppDir('sso-app-tables-');
    ({ jsConfig, jsonConfig } = writeAccountApp(app));
  });
  after(async () => {
    for (const db of databases) await db.close();
    app.remove();
  });

  it("migrate --config (a JS config) applies the identity migrations, then the app's in order, in one migrations table", async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url };
    const first = await runCli(['migrate', '--config', jsConfig], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), `Applied: ${[...IDENTITY_MIGRATIONS, ...ACCOUNT_MIGRATIONS].join(', ')}`);
    assert.ok(await tableExists(db.url, 'account_member'));
    const columns = await query<{ column_name: string }>(
      db.url,
      "select column_name from information_schema.columns where table_name = 'account_member' order by column_name",
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['account_id', 'role', 'since', 'user_id'],
    );
    assert.deepEqual(await recorded(db.url), [...IDENTITY_MIGRATIONS, ...ACCOUNT_MIGRATIONS]);
    const again = await runCli(['migrate', '--config', jsConfig], { env });
    assert.equal(again.stdout.trim(), 'Database is up to date.');
  });

  it('serve --config: createAuthorizationPayload reads the app table with em; users and schema take the config too', async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(app.dir, 'data-serve') };
    const server = await startServe(env, ['--config', jsConfig]);
    try {
      assert.ok(await tableExists(db.url, 'account_member'), 'serve applied the app migrations');
      const alice = await runCli(['users', 'create', '--username', 'alice', '--password-stdin', '--config', jsConfig], {
        env,
        input: 'alice-password',
      });
      assert.equal(alice.code, 0, alice.stderr);
      const bob = await runCli(['users', 'create', '--username', 'bob', '--password-stdin', '--config', jsConfig], {
        env,
        input: 'bob-password',
      });
      assert.equal(bob.code, 0, bob.stderr);
      await query(db.url, "insert into account_member (account_id, user_id, role) values ('1', $1, 'owner'), ('2', $2, 'member')", [
        createdUserId(alice.stdout),
        createdUserId(bob.stdout),
      ]);

      const aliceSession = await loginAt(server.url, 'alice', 'alice-password');
      const owner = await mintFor(server.url, aliceSession, '1');
      assert.equal(owner.status, 200, JSON.stringify(owner.body));
      const ownerClaims = payloadOf(owner.body.data!.obtainAuthorizationToken.token);
      assert.equal(ownerClaims.account, '1');
      assert.deepEqual(ownerClaims.scopes, ['accounts:read-balance']);
      const refused = await mintFor(server.url, aliceSession, '2');
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.equal(refused.body.errors?.[0]?.message, 'You are not a member of account 2.');
      const member = await mintFor(server.url, await loginAt(server.url, 'bob', 'bob-password'), '2');
      assert.deepEqual(payloadOf(member.body.data!.obtainAuthorizationToken.token).scopes, []);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const schema = await runCli(['schema', '--config', jsConfig]);
    assert.equal(schema.code, 0, schema.stderr);
    assert.match(schema.stdout, /obtainAuthorizationToken\(account: ID!\): TokenResult!/);
  });

  it('a JSON config names entities and migrations by module reference; users and serve take it from $SSO_CONFIG', async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url, SSO_CONFIG: jsonConfig, SSO_DATA_DIR: join(app.dir, 'data-json') };
    // users create migrates first: the app's migrations with the identity's.
    const created = await runCli(['users', 'create', '--username', 'carol', '--password-stdin'], { env, input: 'carol-password' });
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(await recorded(db.url), [...IDENTITY_MIGRATIONS, ...ACCOUNT_MIGRATIONS]);
    await query(db.url, "insert into account_member (account_id, user_id, role) values ('7', $1, 'owner')", [
      createdUserId(created.stdout),
    ]);
    const migrated = await runCli(['migrate'], { env });
    assert.equal(migrated.stdout.trim(), 'Database is up to date.', migrated.stderr);

    const server = await startServe(env);
    try {
      const minted = await mintFor(server.url, await loginAt(server.url, 'carol', 'carol-password'), '7');
      assert.equal(payloadOf(minted.body.data!.obtainAuthorizationToken.token).account, '7', JSON.stringify(minted.body));
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const deactivated = await runCli(['users', 'deactivate', '--username', 'carol'], { env });
    assert.equal(deactivated.code, 0, deactivated.stderr);
  });

  it("serve --no-migrate applies none of them; migrate --config then applies only the app's", async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(app.dir, 'data-no-migrate') };
    const identityOnly = await runCli(['migrate'], { env });
    assert.equal(identityOnly.stdout.trim(), `Applied: ${IDENTITY_MIGRATIONS.join(', ')}`, identityOnly.stderr);
    const server = await startServe(env, ['--config', jsConfig, '--no-migrate']);
    try {
      assert.equal(await tableExists(db.url, 'account_member'), false);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const appOnly = await runCli(['migrate', '--config', jsConfig], { env });
    assert.equal(appOnly.stdout.trim(), `Applied: ${ACCOUNT_MIGRATIONS.join(', ')}`, appOnly.stderr);
  });

  it('serve --workers 2: the primary applies the app migrations before the workers start', async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(app.dir, 'data-workers') };
    const server = await startServe(env, ['--config', jsConfig, '--workers', '2']);
    try {
      assert.deepEqual(await recorded(db.url), [...IDENTITY_MIGRATIONS, ...ACCOUNT_MIGRATIONS]);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });

  it('refuses bad entities and migrations before touching the database, naming the entry', async () => {
    const db = await freshDatabase();
    const env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(app.dir, 'data-bad') };
    const configs: [string, string, RegExp][] = [
      [
        'bad-entity.js',
        `export default { entities: ['./entities.js'] };`,
        /Invalid setting "entities\[0\]": must be a MikroORM entity class or an EntitySchema \(got the string "\.\/entities\.js"\): paths and globs are not read/,
      ],
      [
        'bad-migration.js',
        `export default { migrations: [{ name: 'AppX', class: 5 }] };`,
        /Invalid setting "migrations\[0\]\.class": must be a Migration subclass \(a class with an up\(\) method\) \(got number 5\)/,
      ],
      [
        'duplicate.js',
        `import { migrations } from './migrations.js';\nexport default { migrations: [...migrations, { name: 'AppAccountMember', class: migrations[0] }] };`,
        /Invalid setting "migrations\[2\]": the name "AppAccountMember" is taken by migrations\[0\] already/,
      ],
      [
        'identity-name.js',
        `import { migrations } from './migrations.js';\nexport default { migrations: [migrations[0], { name: 'Migration20261128000000', class: migrations[0] }] };`,
        /Invalid setting "migrations\[1\]": "Migration20261128000000" is the name of one of graphql-sso's own migrations/,
      ],
    ];
    for (const [name, source, message] of configs) {
      const config = app.write(name, source);
      const run = await runCli(['migrate', '--config', config], { env });
      assert.equal(run.code, 1, `${name}: ${run.stdout}`);
      assert.match(run.stderr, message, name);
    }
    // serve checks the same, before it listens.
    const serve = await runCli(['serve', '--port', '0', '--config', join(app.dir, 'identity-name.js')], { env });
    assert.equal(serve.code, 1, serve.stdout);
    assert.match(serve.stderr, configs[3]![2]);
    assert.equal(await tableExists(db.url, 'sso_migrations'), false, 'nothing was migrated');
  });
});
