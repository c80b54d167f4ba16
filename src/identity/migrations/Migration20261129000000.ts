import { Migration } from '@mikro-orm/migrations';

/**
 * Every change that can end a session — revocation, deletion, a user's deactivation, new
 * password or deletion — notifies channel `sso_session`, whoever makes it (the service, the CLI,
 * an operator's SQL), so that processes caching sessions drop them at once.
 */
export class Migration20261129000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function "sso_notify_session_change"() returns trigger language plpgsql as $$
begin
  perform pg_notify('sso_session', tg_argv[0] || ':' || old.id::text);
  return null;
end $$;`);
    this.addSql(`create trigger "session_token_notify" after update of "revoked_at" or delete on "session_token"
      for each row execute function "sso_notify_session_change"('session');`);
    this.addSql(`create trigger "users_notify" after update of "is_active", "password_hash", "username", "email" or delete on "users"
      for each row execute function "sso_notify_session_change"('user');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "users_notify" on "users";`);
    this.addSql(`drop trigger if exists "session_token_notify" on "session_token";`);
    this.addSql(`drop function if exists "sso_notify_session_change"();`);
  }
}
