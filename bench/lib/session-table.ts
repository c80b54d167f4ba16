import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { identityEntities, SessionService, UserService } from '../../src/identity-exports.js';
import { resolveSettings } from '../../src/index.js';
import { SessionCache } from '../../src/identity/session-cache.js';

/**
 * Counts every row written to `users` and `session_token` (insert, update, delete), exactly and at
 * once, in `bench_row_writes`: statistics views (`pg_stat_user_tables`) lag by up to a second
 * per backend, and would count the same rows.
 */
export async function countRowWrites(client: pg.Client): Promise<() => Promise<number>> {
  await client.query(`create table if not exists bench_row_writes (n bigint not null)`);
  await client.query(`insert into bench_row_writes select 0 where not exists (select from bench_row_writes)`);
  await client.query(`create or replace function bench_count_row_write() returns trigger language plpgsql as $$
    begin update bench_row_writes set n = n + 1; return null; end $$`);
  for (const table of ['users', 'session_token']) {
    await client.query(`create or replace trigger bench_count_row_write after insert or update or delete on "${table}"
      for each row execute function bench_count_row_write()`);
  }
  return async () => Number((await client.query<{ n: string }>('select n from bench_row_writes')).rows[0]!.n);
}

/** Users that the generated sessions belong to (a million sessions: 100 each). */
const USERS = 10_000;

/**
 * `rows` sessions of 10,000 other users, in two `insert … select … from generate_series`
 * statements: several clients and agents per user, a fifth revoked, ages spread over a month.
 * Ends with `analyze`, as autovacuum would. Returns one of those users.
 */
export async function insertSessionRows(client: pg.Client, rows: number): Promise<{ userId: string }> {
  const users = USERS;
  await client.query(`insert into users (id, username, email, password_hash, is_active, created_at, updated_at)
    select md5('bench-user-' || n)::uuid, 'bench-user-' || n, 'bench-user-' || n || '@example.com', 'x', true, now(), now()
    from generate_series(1, ${users}) n`);
  await client.query(`insert into session_token (id, user_id, client_id, ip_address, user_agent, version, last_used_at, created_at, revoked_at)
    select gen_random_uuid(), md5('bench-user-' || (1 + n % ${users}))::uuid, 'client-' || (n % 7), '10.0.' || (n % 250) || '.1',
      'agent/' || (n % 13), 1 + n % 3, now() - (n % 86400) * interval '1 second', now() - (n % 2592000) * interval '1 second',
      case when n % 5 = 0 then now() else null end
    from generate_series(1, ${rows}) n`);
  await client.query('analyze users');
  await client.query('analyze session_token');
  const { rows: found } = await client.query<{ id: string }>(`select md5('bench-user-1')::uuid as id`);
  return { userId: found[0]!.id };
}

export interface QueryPlan {
  what: string;
  sql: string;
  /** `Index Scan using session_token_pkey on session_token`, … */
  scans: string[];
  /** No sequential scan of `users` or `session_token`. */
  indexed: boolean;
  /** Execution time of the query (EXPLAIN ANALYZE), ms. */
  executionMs: number;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function scansOf(node: PlanNode, out: { scan: string; seq: boolean }[] = []) {
  const relation = node['Relation Name'];
  if (relation === 'users' || relation === 'session_token' || node['Index Name']) {
    const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
    out.push({ scan: `${node['Node Type']}${using}${relation ? ` on ${relation}` : ''}`, seq: node['Node Type'] === 'Seq Scan' });
  }
  for (const child of node.Plans ?? []) scansOf(child, out);
  return out;
}

/**
 * The selects of the hot paths exactly as the service's code issues them — the session check of
 * every authenticated request (by id, with its user), a login's user lookup and session reuse
 * lookup, and the listing of a user's sessions — captured from MikroORM, then EXPLAIN ANALYZEd.
 */
export async function hotPathPlans(
  client: pg.Client,
  databaseUrl: string,
  ids: { sessionId: string; userId: string; otherUserId: string; password: string },
): Promise<QueryPlan[]> {
  const captured: { sql: string; params: unknown[] }[] = [];
  let capturing = false;
  const orm = await MikroORM.init({
    clientUrl: databaseUrl,
    entities: identityEntities,
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    pool: { min: 0, max: 1 },
    onQuery: (sql, params) => {
      if (capturing && /^\s*select/i.test(sql)) captured.push({ sql, params });
      return sql;
    },
  });
  try {
    const settings = resolveSettings({ identity: 'bench', passwordHashRounds: 4, sessionCacheTtl: 0 });
    const cache = new SessionCache({ ttl: 0 });
    const users = new UserService(orm, settings, cache);
    const sessions = new SessionService(orm, settings, users, cache);
    // As a login has it: read with the password, its credential version included.
    const otherUser = await users.findById(ids.otherUserId);
    if (!otherUser) throw new Error('the other user of the session table is missing');
    const calls: [string, () => Promise<unknown>][] = [
      ['session by id, with its user (every authenticated request, every mint)', () => sessions.getActive(ids.sessionId, ids.userId)],
      ['user by username (login)', () => users.verifyCredentials('bench', ids.password)],
      ['reuse lookup by user, client and agent (login)', () => sessions.obtain(otherUser, 'client-1', { ip: null, userAgent: 'agent/1' })],
      ['active sessions of a user (sessions query)', () => sessions.listActive(ids.otherUserId)],
    ];
    const plans: QueryPlan[] = [];
    for (const [what, call] of calls) {
      captured.length = 0;
      capturing = true;
      await call();
      capturing = false;
      // The login's lock of the user's row (by primary key) comes first; its lookups follow.
      const query = captured.find((q) => !/\bfor no key update\b/i.test(q.sql));
      if (!query) throw new Error(`no select captured for: ${what}`);
      const sql = orm.em.getPlatform().formatQuery(query.sql, query.params);
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
        `explain (analyze, format json) ${sql}`,
      );
      const [{ Plan, 'Execution Time': executionMs }] = rows[0]!['QUERY PLAN'];
      const scans = scansOf(Plan);
      plans.push({ what, sql, scans: scans.map((s) => s.scan), indexed: scans.length > 0 && scans.every((s) => !s.seq), executionMs });
    }
    return plans;
  } finally {
    await orm.close();
  }
}
