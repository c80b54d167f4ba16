import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { createdUserId, loginAt, mintFor } from '../support/account-app.js';
import { createAppDir, payloadOf, type AppDir } from '../support/app.js';
import { runCli, startServe, type ServeProcess } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ENTITIES_TS = `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { User } from 'graphql-sso/identity';

// tsx emits no decorator metadata: every property says its type.
@Entity({ tableName: 'account_member' })
export class AccountMember {
  @PrimaryKey({ type: 'string' })
  accountId!: string;

  @ManyToOne(() => User, { primary: true })
  user!: User;

  @Property({ type: 'string' })
  role!: string;
}
`;

const AUTHORIZATION_TS = `import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ArgsType, Field, ID } from 'type-graphql';
import { createAuthorizationPayload as standardClaims, ForbiddenError, type PayloadInput } from 'graphql-sso';
import { AccountMember } from './entities.js';

@ArgsType()
export class AccountArgs {
  @Field(() => ID)
  account!: string;
}

export async function createAuthorizationPayload(input: PayloadInput<AccountArgs, EntityManager>) {
  const { user, args, em } = input;
  const member = await em!.findOne(AccountMember, { accountId: args.account, user: String(user.id) });
  if (!member) throw new ForbiddenError(\`You are not a member of account \${args.account}.\`);
  return { ...standardClaims(input), account: args.account, scopes: member.role === 'owner' ? ['accounts:read-balance'] : [] };
}
`;

/** The config defines its migration itself: a reload defines it afresh, under the same name. */
const config = (rounds: number) => `import { Migration } from '@mikro-orm/migrations';
import { defineConfig } from 'graphql-sso';
import { AccountArgs, createAuthorizationPayload } from './authorization.js';
import { AccountMember } from './entities.js';

class AppTsAccountMember extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "account_member" ("account_id" varchar(64) not null, "user_id" uuid not null references "users" ("id") on delete cascade, "role" varchar(16) not null, constraint "account_member_pkey" primary key ("account_id", "user_id"));');
  }
}

export default defineConfig({
  passwordHashRounds: ${rounds},
  entities: [AccountMember],
  migrations: [AppTsAccountMember],
  authorizationArgs: AccountArgs,
  createAuthorizationPayload,
});
`;

async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graphql-sso with a TypeScript config (tsx)', () => {
  let app: AppDir;
  let db: TestDatabase;
  let server: ServeProcess;
  let env: Record<string, string>;
  let configFile: string;

  before(async () => {
    app = createAppDir('sso-ts-serve-');
    app.write('entities.ts', ENTITIES_TS);
    app.write('authorization.ts', AUTHORIZATION_TS);
    configFile = app.write('sso.config.ts', config(4));
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, SSO_DATA_DIR: join(app.dir, 'data') };
  });
  after(async () => {
    if (server) await server.stop();
    await db.close();
    app.remove();
  });

  // The CLI runs from this repository, not the app: tsx compiles with the app's tsconfig.json,
  // the one nearest the config file.
  it('migrate --config sso.config.ts applies its migrations', async () => {
    const run = await runCli(['migrate', '--config', configFile], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Applied: Migration20261128000000, .*, AppTsAccountMember$/m);
  });

  it('serve --config sso.config.ts: its ArgsType, its hook reading the app table, its ForbiddenError', async () => {
    server = await startServe({ ...env, LOG_LEVEL: 'info' }, ['--config', configFile]);
    const created = await runCli(['users', 'create', '--username', 'tess', '--password-stdin', '--config', configFile], {
      env,
      input: 'tess-password',
    });
    assert.equal(created.code, 0, created.stderr);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query("insert into account_member (account_id, user_id, role) values ('1', $1, 'owner')", [createdUserId(created.stdout)]);
    await client.end();

    const session = await loginAt(server.url, 'tess', 'tess-password');
    const minted = await mintFor(server.url, session, '1');
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.deepEqual(payloadOf(minted.body.data!.obtainAuthorizationToken.token).scopes, ['accounts:read-balance']);
    const refused = await mintFor(server.url, session, '9');
    assert.deepEqual(
      refused.body.errors?.map((e) => [e.extensions?.code, e.message]),
      [['FORBIDDEN', 'You are not a member of account 9.']],
    );
  });

  it('SIGHUP imports the .ts config afresh; its own migration class, defined anew, is still the same migration', async () => {
    app.write('sso.config.ts', config(5));
    server.child.kill('SIGHUP');
    await waitFor(() => /Reloaded keys/.test(server.output()), 'the reload');
    assert.match(server.output(), /"settings":\["passwordHashRounds"\],"msg":"Changed settings other than keys take effect at restart"/);
    const session = await loginAt(server.url, 'tess', 'tess-password');
    assert.equal((await mintFor(server.url, session, '1')).status, 200);
  });

  it('an entity property without a type: the error names the setting and what tsx lacks', async () => {
    const untyped = createAppDir('sso-ts-untyped-');
    try {
      untyped.write(
        'entities.ts',
        `import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';\n@Entity()\nexport class Untyped {\n  @PrimaryKey({ type: 'number' })\n  id!: number;\n  @Property()\n  text!: string;\n}\n`,
      );
      const file = untyped.write('sso.config.ts', `import { Untyped } from './entities.js';\nexport default { entities: [Untyped] };\n`);
      const run = await runCli(['migrate', '--config', file], { env });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /Invalid setting "entities": Please provide either 'type' or 'entity' attribute in Untyped\.text\. .* A TypeScript file loaded through tsx \(esbuild\) carries no decorator metadata/,
      );
    } finally {
      untyped.remove();
    }
  });

  it('decorators compiled as standard ones (no experimentalDecorators in the tsconfig.json): says what to set', async () => {
    const standard = createAppDir('sso-ts-standard-');
    try {
      standard.write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022' } }));
      standard.write(
        'authorization.ts',
        AUTHORIZATION_TS.replace("import { AccountMember } from './entities.js';", 'const AccountMember = class {};'),
      );
      const file = standard.write(
        'sso.config.ts',
        `import { AccountArgs } from './authorization.js';\nexport default { authorizationArgs: AccountArgs };\n`,
      );
      const run = await runCli(['schema', '--config', file]);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /cannot load .*sso\.config\.ts: .*\(decorators were compiled as standard decorators, which type-graphql and MikroORM do not take: set "experimentalDecorators": true in the tsconfig\.json nearest the config file/,
      );
    } finally {
      standard.remove();
    }
  });
});
