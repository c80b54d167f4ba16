import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Migration } from '@mikro-orm/migrations';
import { SettingsError, loadConfig, resolveSettings, type SsoSettings } from '../../src/index.js';
import { User, UserService, identityMigrations, migrate, openIdentityDatabase, type Database } from '../../src/identity.js';
import { createdUserId, loginAt, mintFor, writeAccountApp } from '../support/account-app.js';
import { createAppDir, payloadOf, type AppDir } from '../support/app.js';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from '../support/database.js';

@Entity({ tableName: 'app_note' })
class AppNote {
  @PrimaryKey({ autoincrement: true })
  id!: number;

  @ManyToOne(() => User)
  author!: User;

  @Property()
  text!: string;
}

class AppNoteTable extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "app_note" ("id" serial primary key, "author_id" uuid not null references "users" ("id") on delete cascade, "text" text not null);',
    );
  }
}

/** An entity whose decorators were applied by hand: no type metadata, as under tsx. */
class Untyped {}
Entity()(Untyped);
PrimaryKey({ type: 'number' })(Untyped.prototype, 'id');
Property()(Untyped.prototype, 'text');

@Entity()
class NoPrimaryKey {
  @Property()
  text!: string;
}

/** Never connected to: the opener must refuse before it tries. */
const NOWHERE = 'postgres://postgres@127.0.0.1:1/nowhere';

const refusal = (setting: string, message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof SettingsError, String(error));
  assert.equal(error.setting, setting);
  assert.match(error.message, message);
  return true;
};

async function withEnv<T>(values: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  try {
    return await work();
  } finally {
    apply(saved);
  }
}

describe('openIdentityDatabase', () => {
  let testDb: TestDatabase;
  const logger = createTestLogger();
  const settingsWith = (config: Parameters<typeof resolveSettings>[0]) => resolveSettings({ passwordHashRounds: 4, ...config });

  before(async () => {
    testDb = await createTestDatabase();
  });
  after(() => testDb.close());

  it("registers the app's entities next to the identity's and lists its migrations after the identity's", async () => {
    const settings = settingsWith({ entities: [AppNote], migrations: [AppNoteTable] });
    const db = await openIdentityDatabase({ settings, url: testDb.url, logger });
    try {
      assert.deepEqual(await migrate(db), [...identityMigrations.map((m) => m.name), 'AppNoteTable']);
      const author = await new UserService(db.orm, settings).create({ username: 'nora', password: 'nora-password' });
      const em = db.orm.em.fork();
      em.create(AppNote, { author: em.getReference(User, author.id), text: 'hello' });
      await em.flush();
      const note = await db.orm.em.fork().findOneOrFail(AppNote, { author: author.id }, { populate: ['author'] });
      assert.deepEqual([note.text, note.author.username], ['hello', 'nora']);
      assert.deepEqual(await migrate(db), []);
    } finally {
      await db.close();
    }
  });

  it('registers an identity entity listed again once', async () => {
    const db = await openIdentityDatabase({ settings: settingsWith({ entities: [User, AppNote] }), url: testDb.url, logger });
    try {
      assert.equal(typeof (await db.orm.em.fork().count(User)), 'number');
    } finally {
      await db.close();
    }
  });

  it("refuses a migration named like one of the identity's, or like another, before connecting", async () => {
    const clash = settingsWith({ migrations: [AppNoteTable, { name: 'Migration20261129000000', class: AppNoteTable }] });
    await assert.rejects(
      openIdentityDatabase({ settings: clash, url: NOWHERE, logger }),
      refusal('migrations[1]', /"Migration20261129000000" is the name of one of graphql-sso's own migrations: give yours another name/),
    );
    // Settings that did not come through resolveSettings are checked all the same.
    const unchecked: Pick<SsoSettings, 'entities' | 'migrations' | 'databaseTimeout'> = {
      entities: [],
      migrations: [AppNoteTable, { name: 'AppNoteTable', class: AppNoteTable }],
      databaseTimeout: 5,
    };
    await assert.rejects(
      openIdentityDatabase({ settings: unchecked, url: NOWHERE, logger }),
      refusal('migrations[1]', /the name "AppNoteTable" is taken by migrations\[0\] already/),
    );
  });

  it('names the entities setting when MikroORM refuses an entity, with what tsx lacks when types are missing', async () => {
    await assert.rejects(
      openIdentityDatabase({ settings: settingsWith({ entities: [Untyped] }), url: testDb.url, logger }),
      refusal(
        'entities',
        /Please provide either 'type' or 'entity' attribute in Untyped\.text\..* A TypeScript file loaded through tsx \(esbuild\) carries no decorator metadata: give each property its type \(@Property\(\{ type: 'string' \}\)/,
      ),
    );
    await assert.rejects(
      openIdentityDatabase({ settings: settingsWith({ entities: [NoPrimaryKey] }), url: testDb.url, logger }),
      refusal('entities', /NoPrimaryKey entity is missing @PrimaryKey\(\)/),
    );
  });

  it('defaults: DATABASE_URL, else the embedded database under SSO_DATA_DIR; a logger of its own', async () => {
    const app = createAppDir('sso-open-defaults-');
    try {
      const settings = settingsWith({});
      const server = await withEnv({ DATABASE_URL: testDb.url }, () => openIdentityDatabase({ settings }));
      try {
        assert.equal(server.kind, 'postgresql');
      } finally {
        await server.close();
      }
      const embedded = await withEnv({ DATABASE_URL: testDb.url, SSO_DATA_DIR: join(app.dir, 'data') }, () =>
        openIdentityDatabase({ settings, url: null }),
      );
      try {
        assert.equal(embedded.kind, 'embedded');
        assert.equal(embedded.describe(), `embedded PGlite at ${join(app.dir, 'data', 'pglite')}`);
      } finally {
        await embedded.close();
      }
    } finally {
      app.remove();
    }
  });
});

describe("openIdentityDatabase from an application's script while serve holds the embedded database", () => {
  let app: AppDir;
  let jsConfig: string;
  let server: ServeProcess;
  let env: Record<string, string>;

  before(async () => {
    app = createAppDir('sso-open-script-');
    ({ jsConfig } = writeAccountApp(app));
    env = { SSO_DATA_DIR: join(app.dir, 'data') };
    server = await startServe(env, ['--config', jsConfig]);
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0, server.output());
    app.remove();
  });

  it("reaches it through the running server's socket; the rows it writes are what the server's hook reads", async () => {
    const created = await runCli(['users', 'create', '--username', 'olga', '--password-stdin', '--config', jsConfig], {
      env,
      input: 'olga-password',
    });
    assert.equal(created.code, 0, created.stderr);
    const { AccountMember } = (await import(join(app.dir, 'entities.js'))) as { AccountMember: new () => object };
    const settings = resolveSettings(await loadConfig(jsConfig));
    const db: Database = await withEnv({ DATABASE_URL: undefined, SSO_DATA_DIR: env.SSO_DATA_DIR }, () =>
      openIdentityDatabase({ settings, logger: createTestLogger() }),
    );
    try {
      assert.equal(db.kind, 'embedded-remote');
      assert.deepEqual(await migrate(db), [], 'serve has applied them all');
      const em = db.orm.em.fork();
      em.create(AccountMember, { accountId: '42', user: em.getReference(User, createdUserId(created.stdout)), role: 'owner' });
      await em.flush();
    } finally {
      await db.close();
    }
    const minted = await mintFor(server.url, await loginAt(server.url, 'olga', 'olga-password'), '42');
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.deepEqual(payloadOf(minted.body.data!.obtainAuthorizationToken.token).scopes, ['accounts:read-balance']);
  });
});
