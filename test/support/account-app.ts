import type { AppDir } from './app.js';
import { LOGIN } from './identity.js';

/** The names of the account app's migrations, in the order its config lists them. */
export const ACCOUNT_MIGRATIONS = ['AppAccountMember', 'App02AccountMemberSince'];

/**
 * The custom-claims guide as an application of plain JavaScript: an `account_member` table
 * (an EntitySchema referencing the identity's `User`, two migrations: a class, then a
 * `{ name, class }`), an `account` argument, and a `createAuthorizationPayload` that reads the
 * table with `em`. Configs: `sso.config.js`, and `sso.json` naming the same through module
 * references (a list export, and a list of single exports).
 */
export function writeAccountApp(app: AppDir): { jsConfig: string; jsonConfig: string } {
  app.write(
    'entities.js',
    `import { EntitySchema } from '@mikro-orm/core';
import { User } from 'graphql-sso/identity';

export class AccountMember {}

export const entities = [
  new EntitySchema({
    class: AccountMember,
    tableName: 'account_member',
    properties: {
      accountId: { type: 'string', primary: true },
      user: { kind: 'm:1', entity: () => User, primary: true },
      role: { type: 'string' },
      since: { type: 'datetime', nullable: true },
    },
  }),
];
`,
  );
  app.write(
    'migrations.js',
    `import { Migration } from '@mikro-orm/migrations';

export class AppAccountMember extends Migration {
  async up() {
    this.addSql(\`create table "account_member" (
      "account_id" varchar(64) not null,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "role" varchar(16) not null,
      constraint "account_member_pkey" primary key ("account_id", "user_id"));\`);
  }
  async down() {
    this.addSql('drop table if exists "account_member";');
  }
}

/** Runs after the table exists: the given order is the order they run in. */
class AddSince extends Migration {
  async up() {
    this.addSql('alter table "account_member" add column "since" timestamptz null;');
  }
}

export const accountMemberSince = { name: 'App02AccountMemberSince', class: AddSince };
export const migrations = [AppAccountMember, accountMemberSince];
`,
  );
  app.write(
    'authorization.js',
    `import 'reflect-metadata';
import { ArgsType, Field, ID } from 'type-graphql';
import { createAuthorizationPayload as standardClaims, ForbiddenError } from 'graphql-sso';
import { AccountMember } from './entities.js';

export class AccountArgs {}
ArgsType()(AccountArgs);
Field(() => ID)(AccountArgs.prototype, 'account');

export async function createAuthorizationPayload(input) {
  const { user, args, em } = input;
  const member = await em.findOne(AccountMember, { accountId: args.account, user: user.id });
  if (!member) throw new ForbiddenError(\`You are not a member of account \${args.account}.\`);
  return { ...standardClaims(input), account: args.account, scopes: member.role === 'owner' ? ['accounts:read-balance'] : [] };
}
`,
  );
  const jsConfig = app.write(
    'sso.config.js',
    `import { defineConfig } from 'graphql-sso';
import { entities } from './entities.js';
import { migrations } from './migrations.js';
import { AccountArgs, createAuthorizationPayload } from './authorization.js';

export default defineConfig({ passwordHashRounds: 4, entities, migrations, authorizationArgs: AccountArgs, createAuthorizationPayload });
`,
  );
  const jsonConfig = app.write(
    'sso.json',
    JSON.stringify({
      passwordHashRounds: 4,
      entities: './entities.js#entities',
      migrations: ['./migrations.js#AppAccountMember', './migrations.js#accountMemberSince'],
      authorizationArgs: './authorization.js#AccountArgs',
      createAuthorizationPayload: './authorization.js#createAuthorizationPayload',
    }),
  );
  return { jsConfig, jsonConfig };
}

export interface GraphQLAnswer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[] };
}

export async function postGraphQL(
  url: string,
  query: string,
  { variables, token }: { variables?: Record<string, unknown>; token?: string } = {},
): Promise<GraphQLAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLAnswer['body'] };
}

export async function loginAt(url: string, username: string, password: string): Promise<string> {
  const answer = await postGraphQL(url, LOGIN, { variables: { username, password } });
  const token = answer.body.data?.obtainSessionToken?.token as string | undefined;
  if (!token) throw new Error(`login failed: ${JSON.stringify(answer.body)}`);
  return token;
}

/** `obtainAuthorizationToken(account: ...)` with a session token. */
export function mintFor(url: string, sessionToken: string, account: string): Promise<GraphQLAnswer> {
  return postGraphQL(url, 'mutation ($account: ID!) { obtainAuthorizationToken(account: $account) { token } }', {
    variables: { account },
    token: sessionToken,
  });
}

/** The user id that `graphql-sso users create` printed. */
export function createdUserId(stdout: string): string {
  const id = /^Created user \S+ \(([^)]+)\)$/m.exec(stdout)?.[1];
  if (!id) throw new Error(`no user id in: ${stdout}`);
  return id;
}
