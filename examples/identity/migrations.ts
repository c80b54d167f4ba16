import { Migration } from '@mikro-orm/migrations';

/** Who belongs to which account, and as what: read when an authorization token is minted. */
export class Migration20261128100000AccountMember extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "account_member" (
      "account_id" varchar(64) not null,
      "user_id" uuid not null references "users" ("id") on delete cascade,
      "role" varchar(16) not null check ("role" in ('owner', 'member')),
      constraint "account_member_pkey" primary key ("account_id", "user_id"));`);
    this.addSql(`create index "account_member_user_idx" on "account_member" ("user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_member";`);
  }
}
