import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261128110000Otherapp extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "otherapp_user" (
      "id" uuid not null default gen_random_uuid(),
      "issuer" varchar(255) not null,
      "external_id" varchar(255) not null,
      "email" varchar(254) null,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default now(),
      constraint "otherapp_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "otherapp_user" add constraint "otherapp_user_issuer_external_id_unique" unique ("issuer", "external_id");`);
    this.addSql(`create table "otherapp_account" (
      "id" varchar(64) not null,
      "name" varchar(200) not null,
      "balance" int not null,
      constraint "otherapp_account_pkey" primary key ("id"));`);
    this.addSql(`create table "otherapp_account_member" (
      "account_id" varchar(64) not null references "otherapp_account" ("id") on update cascade on delete cascade,
      "user_id" uuid not null,
      constraint "otherapp_account_member_pkey" primary key ("account_id", "user_id"));`);
    this.addSql(`create index "otherapp_account_member_user_idx" on "otherapp_account_member" ("user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "otherapp_account_member";`);
    this.addSql(`drop table if exists "otherapp_account";`);
    this.addSql(`drop table if exists "otherapp_user";`);
  }
}

/** Listed, not globbed, so they run from compiled code. */
export const otherappMigrations: MigrationObject[] = [{ name: 'Migration20261128110000Otherapp', class: Migration20261128110000Otherapp }];
