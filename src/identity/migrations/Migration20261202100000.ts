import { Migration } from '@mikro-orm/migrations';

/**
 * The changes that end sessions without touching the columns `Migration20261129000000` watches:
 * a `TRUNCATE` of `session_token` or `users` (no row trigger fires for it) notifies `flush:*` on
 * channel `sso_session`, and every process caching sessions forgets them all; a session's
 * `created_at` (`sessionExpiration` counts from it), `user_id` or `id` changed, or a user's `id`
 * (an operator's bulk `UPDATE`), notifies it as revoked.
 */
export class Migration20261202100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function "sso_notify_session_flush"() returns trigger language plpgsql as $$
begin
  perform pg_notify('sso_session', 'flush:*');
  return null;
end $$;`);
    this.addSql(`create trigger "session_token_notify_truncate" after truncate on "session_token"
      for each statement execute function "sso_notify_session_flush"();`);
    this.addSql(`create trigger "users_notify_truncate" after truncate on "users"
      for each statement execute function "sso_notify_session_flush"();`);
    this.addSql(`drop trigger if exists "session_token_notify" on "session_token";`);
    this
      .addSql(`create trigger "session_token_notify" after update of "revoked_at", "created_at", "user_id", "id" or delete on "session_token"
      for each row execute function "sso_notify_session_change"('session');`);
    this.addSql(`drop trigger if exists "users_notify" on "users";`);
    this.addSql(`create trigger "users_notify" after update of "is_active", "password_hash", "username", "email", "id" or delete on "users"
      for each row execute function "sso_notify_session_change"('user');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "users_notify" on "users";`);
    this.addSql(`create trigger "users_notify" after update of "is_active", "password_hash", "username", "email" or delete on "users"
      for each row execute function "sso_notify_session_change"('user');`);
    this.addSql(`drop trigger if exists "session_token_notify" on "session_token";`);
    this.addSql(`create trigger "session_token_notify" after update of "revoked_at" or delete on "session_token"
      for each row execute function "sso_notify_session_change"('session');`);
    this.addSql(`drop trigger if exists "users_notify_truncate" on "users";`);
    this.addSql(`drop trigger if exists "session_token_notify_truncate" on "session_token";`);
    this.addSql(`drop function if exists "sso_notify_session_flush"();`);
  }
}
