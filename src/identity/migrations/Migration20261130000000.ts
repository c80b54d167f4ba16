import { Migration } from '@mikro-orm/migrations';

/** The login throttle's counts, shared by every process of the service (`LoginThrottle`). */
export class Migration20261130000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "login_throttle" (
      "kind" varchar(16) not null,
      "key" varchar(64) not null,
      "failures" int not null default 0,
      "next_at" timestamptz null,
      "updated_at" timestamptz not null,
      constraint "login_throttle_pkey" primary key ("kind", "key"));`);
    this.addSql(`create index "login_throttle_updated_at_idx" on "login_throttle" ("updated_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_throttle" cascade;`);
  }
}
