import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "users" (
      "id" uuid not null,
      "username" varchar(150) not null,
      "email" varchar(254) null,
      "password_hash" text not null,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_username_unique" unique ("username");`);

    this.addSql(`create table "session_token" (
      "id" uuid not null,
      "user_id" uuid not null,
      "client_id" varchar(1000) not null default '',
      "ip_address" varchar(45) null,
      "user_agent" varchar(1000) not null default '',
      "version" int not null default 1,
      "last_used_at" timestamptz null,
      "created_by_id" uuid null,
      "created_at" timestamptz not null,
      "revoked_at" timestamptz null,
      constraint "session_token_pkey" primary key ("id"));`);
    this.addSql(`create index "session_token_reuse_idx" on "session_token" ("user_id", "client_id", "user_agent");`);
    this.addSql(`create index "session_token_created_by_idx" on "session_token" ("created_by_id");`);
    this.addSql(
      `alter table "session_token" add constraint "session_token_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "session_token" add constraint "session_token_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "session_token" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
  }
}
