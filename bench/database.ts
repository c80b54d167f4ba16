import pg from 'pg';
import { graphql, login, ME_QUERY, MINT_QUERY, startIdentityProcess } from './lib/identity-process.js';
import { median, percentile } from './lib/measure.js';
import type { Bench, BenchSection } from './lib/types.js';

async function sessionUpdates(client: pg.Client): Promise<number> {
  // Statistics reach pg_stat_* asynchronously; ask for a fresh snapshot.
  await client.query('select pg_stat_force_next_flush()').catch(() => undefined);
  await client.query('select pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ n: string }>("select n_tup_upd as n from pg_stat_user_tables where relname = 'session_token'");
  return Number(rows[0]?.n ?? 0);
}

async function mintLatencies(url: string, session: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const answer = await graphql(url, MINT_QUERY, session);
    latencies.push(performance.now() - start);
    if (!answer.data?.obtainAuthorizationToken) throw new Error(`mint failed: ${JSON.stringify(answer)}`);
  }
  return latencies;
}

/**
 * Issue 5, item 6: database writes per authenticated request (`verifySessionToken` on), and
 * `obtainAuthorizationToken` latency with a million session rows vs an empty table.
 */
export const databaseBench: Bench = async ({ smoke }) => {
  const identity = await startIdentityProcess({ passwordHashRounds: 4 });
  const client = new pg.Client({ connectionString: identity.databaseUrl });
  await client.connect();
  try {
    const session = await login(identity);
    await graphql(identity.url, ME_QUERY, session);
    const requests = smoke ? 100 : 1000;
    const before = await sessionUpdates(client);
    const started = Date.now();
    for (let i = 0; i < requests; i += 1) await graphql(identity.url, ME_QUERY, session);
    const elapsedMin = (Date.now() - started) / 60_000;
    await new Promise((r) => setTimeout(r, 600));
    const writes = (await sessionUpdates(client)) - before;

    const samples = smoke ? 50 : 400;
    await mintLatencies(identity.url, session, 20);
    const empty = await mintLatencies(identity.url, session, samples);
    const rows = smoke ? 10_000 : 1_000_000;
    await client.query(`insert into users (id, username, password_hash, is_active, created_at, updated_at)
      select gen_random_uuid(), 'user' || n, 'x', true, now(), now() from generate_series(1, ${Math.max(1, rows / 100)}) n`);
    await client.query(`insert into session_token (id, user_id, client_id, user_agent, version, created_at, last_used_at, revoked_at)
      select gen_random_uuid(), u.id, 'client-' || (n % 7), 'agent/' || (n % 13), 1, now() - (n || ' seconds')::interval, now(),
             case when n % 5 = 0 then now() else null end
      from generate_series(1, ${rows}) n
      join lateral (select id from users where username = 'user' || (1 + n % ${Math.max(1, rows / 100)})) u on true`);
    await client.query('analyze session_token');
    await mintLatencies(identity.url, session, 20);
    const full = await mintLatencies(identity.url, session, samples);
    const plans: string[] = [];
    for (const [what, sql] of [
      ['session by id', "explain select * from session_token where id = '00000000-0000-0000-0000-000000000000'"],
      ['reuse lookup', "explain select * from session_token where user_id = '00000000-0000-0000-0000-000000000000' and client_id = 'c' and user_agent = 'a' and revoked_at is null"],
    ] as const) {
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(sql);
      plans.push(`${what}: ${plan[0]?.['QUERY PLAN']}`);
    }
    const ratio = median(full) / median(empty);
    const section: BenchSection = {
      title: 'Database',
      measurements: [
        { name: `session_token updates during ${requests} authenticated requests (${elapsedMin.toFixed(2)} min, one session)`, value: writes, unit: 'writes' },
        { name: 'writes per authenticated request', value: writes / requests, unit: 'writes/request' },
        { name: 'obtainAuthorizationToken p50, empty table', value: median(empty), unit: 'ms' },
        { name: 'obtainAuthorizationToken p99, empty table', value: percentile(empty, 99), unit: 'ms' },
        { name: `obtainAuthorizationToken p50, ${rows.toLocaleString('en')} session rows`, value: median(full), unit: 'ms' },
        { name: `obtainAuthorizationToken p99, ${rows.toLocaleString('en')} session rows`, value: percentile(full, 99), unit: 'ms' },
      ],
      ratios: [
        { name: 'session writes per session per minute of requests', value: Math.max(writes, 0.0001) / Math.max(elapsedMin, 1 / 60), target: '<= 1 per started minute', met: writes <= Math.ceil(elapsedMin) },
        { name: `mint p50 with ${rows.toLocaleString('en')} rows / empty`, value: ratio, target: '<= 1.2', met: ratio <= 1.2 },
      ],
      notes: plans.map((plan) => `Plan, ${plan}`),
    };
    return section;
  } finally {
    await client.end();
    await identity.stop();
  }
};
