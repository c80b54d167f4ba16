import { Migration } from '@mikro-orm/migrations';

/**
 * `users.credential_version`: bumped in the transaction of every change that ends a user's
 * sessions (a new password, a deactivation, revoking them all); a login reads it with the
 * password and creates its session only while it is unchanged, so no session outlives a change
 * that committed first.
 */
export class Migration20261202000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "credential_version" int not null default 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop column "credential_version";`);
  }
}
