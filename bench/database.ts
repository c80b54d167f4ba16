import pg from 'pg';
import { graphql, login, ME_QUERY, mint, startIdentityProcess, type IdentityProcess } from './lib/identity-process.js';
import { median, percentile } from './lib/measure.js';
import { countRowWrites, hotPathPlans, insertSessionRows } from './lib/session-table.js';
import type { Bench, BenchSection, Ratio } from './lib/types.js';

const LATENCY_RATIO_TARGET = 1.2;
const sessionIdOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string; uid: string };

async function connect(identity: IdentityProcess): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: identity.databaseUrl });
  await client.connect();
  return client;
}

/**
 * (a) Rows written while `requests` authenticated `me` requests (8 in flight) use one session
 * whose `last_used_at` is over a minute old: the first records the use, the rest write nothing.
 */
async function writesPerRequest(identity: IdentityProcess, requests: number): Promise<{ writes: number; minutes: number }> {
  const client = await connect(identity);
  try {
    const session = await login(identity);
    const rowWrites = await countRowWrites(client);
    await client.query(`update session_token set last_used_at = now() - interval '2 minutes' where id = $1`, [sessionIdOf(session).sid]);
    const before = await rowWrites();
    const started = Date.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (sent < requests) {
          sent += 1;
          const answer = await graphql(identity.url, ME_QUERY, session);
          if (answer.data?.me?.username !== 'bench') throw new Error(`me failed: ${JSON.stringify(answer)}`);
        }
      }),
    );
    const minutes = (Date.now() - started) / 60_000;
    return { writes: (await rowWrites()) - before, minutes };
  } finally {
    await client.end();
  }
}

/** `rounds` batches of `batch` sequential mints on each service, alternating, so noise hits both alike. */
async function mintLatencies(services: { url: string; session: string }[], rounds: number, batch: number): Promise<number[][]> {
  const latencies = services.map(() => [] as number[]);
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < services.length; k += 1) {
      const i = (k + round) % services.length;
      for (let n = 0; n < batch; n += 1) {
        const start = performance.now();
        await mint(services[i]!.url, services[i]!.session);
        latencies[i]!.push(performance.now() - start);
      }
    }
  }
  return latencies;
}

/**
 * Issue 5, item 6: database writes per authenticated request (`verifySessionToken` on), and
 * `obtainAuthorizationToken` latency with a million session rows vs an almost empty table, on two
 * services side by side with the session cache off (so that every mint reads its session row),
 * and the plans of the hot-path queries.
 */
export const databaseBench: Bench = async ({ smoke }) => {
  const section: BenchSection = { title: 'Database', measurements: [], ratios: [], notes: [] };
  const uncached = { passwordHashRounds: 4, settings: { sessionCacheTtl: 0, verifySessionToken: true } };
  const empty = await startIdentityProcess(uncached);
  try {
    const real = empty.database.kind === 'postgresql';
    const requests = smoke ? 100 : 1000;
    // (a) One process reading the session row on every request; two workers with the session cache.
    const runs = [{ name: 'serve, session cache off', ...(await writesPerRequest(empty, requests)) }];
    if (real) {
      const cluster = await startIdentityProcess({ passwordHashRounds: 4, workers: 2, settings: { verifySessionToken: true } });
      try {
        runs.push({ name: 'serve --workers 2, session cache on', ...(await writesPerRequest(cluster, requests)) });
      } finally {
        await cluster.stop();
      }
    }
    for (const run of runs) {
      section.measurements.push(
        {
          name: `rows written during ${requests} me requests on one session (${run.name}; ${(run.minutes * 60).toFixed(1)} s)`,
          value: run.writes,
          unit: 'rows',
        },
        { name: `writes per authenticated request (${run.name})`, value: run.writes / requests, unit: 'writes/request' },
      );
    }
    const perMinute = Math.max(...runs.map((run) => run.writes / Math.ceil(run.minutes)));
    section.ratios.push({
      name: 'rows written per session per (started) minute of authenticated requests',
      value: perMinute,
      target: '<= 1',
      met: perMinute <= 1,
      ...(perMinute <= 1 ? {} : { note: 'more than one write of last_used_at per session per minute' }),
    });

    // (b) The same mints against ~1 session row and against `rows`.
    const rows = real && !smoke ? 1_000_000 : 10_000;
    const full = await startIdentityProcess(uncached);
    const client = await connect(full);
    try {
      const insertStart = performance.now();
      const { userId: otherUserId } = await insertSessionRows(client, rows);
      const insertSec = (performance.now() - insertStart) / 1000;
      const services = [
        { url: empty.url, session: await login(empty) },
        { url: full.url, session: await login(full) },
      ];
      await mintLatencies(services, 1, smoke ? 10 : 100);
      const [without, withRows] = await mintLatencies(services, smoke ? 2 : 10, smoke ? 25 : 100);
      const p50 = { without: median(without!), withRows: median(withRows!) };
      const ratio = p50.withRows / p50.without;
      const label = rows.toLocaleString('en');
      section.measurements.push(
        { name: `time to insert ${label} session rows (generate_series) and analyze`, value: insertSec, unit: 's' },
        { name: 'obtainAuthorizationToken p50, 1 session row', value: p50.without, unit: 'ms' },
        { name: 'obtainAuthorizationToken p99, 1 session row', value: percentile(without!, 99), unit: 'ms' },
        { name: `obtainAuthorizationToken p50, ${label} session rows`, value: p50.withRows, unit: 'ms' },
        { name: `obtainAuthorizationToken p99, ${label} session rows`, value: percentile(withRows!, 99), unit: 'ms' },
      );
      const latency: Ratio = {
        name: `obtainAuthorizationToken p50, ${label} session rows / 1 row`,
        value: ratio,
        target: `<= ${LATENCY_RATIO_TARGET}`,
        met: ratio <= LATENCY_RATIO_TARGET,
      };
      section.ratios.push(latency);

      const { sid, uid } = sessionIdOf(services[1]!.session);
      const plans = await hotPathPlans(client, full.databaseUrl, { sessionId: sid, userId: uid, otherUserId, password: full.password });
      const indexed = plans.filter((plan) => plan.indexed).length;
      if (!latency.met) {
        const slowest = Math.max(...plans.map((plan) => plan.executionMs));
        latency.note =
          indexed === plans.length
            ? `every hot-path query is planned with an index (below) and executes in at most ${slowest.toFixed(2)} ms, ` +
              `while the p50s differ by ${(p50.withRows - p50.without).toFixed(2)} ms: not the queries' plans`
            : 'see the plans below: a hot-path query does not use an index';
      }
      for (const plan of plans) {
        section.measurements.push({ name: `EXPLAIN ANALYZE execution, ${plan.what}, ${label} rows`, value: plan.executionMs, unit: 'ms' });
        section.notes!.push(`Plan, ${plan.what}: ${plan.scans.join('; ')}${plan.indexed ? '' : ' — NOT INDEXED'}.`);
      }
      section.ratios.push({
        name: `hot-path queries planned with indexes, ${label} session rows`,
        value: indexed / plans.length,
        target: '= 1 (all)',
        met: indexed === plans.length,
        ...(indexed === plans.length
          ? {}
          : {
              note: plans
                .filter((p) => !p.indexed)
                .map((p) => p.what)
                .join(', '),
            }),
      });
    } finally {
      await client.end();
      await full.stop();
    }
    section.notes!.unshift(
      `Database: ${empty.database.label}${real ? '' : '; the embedded database gets 10,000 generated rows, not a million'}.`,
      'Writes are counted exactly by row triggers on users and session_token. A request records its session’s use (last_used_at) ' +
        'only when the recorded one is over a minute old, with a conditional UPDATE, so processes racing to record it write one row.',
      'Mint latency: two services side by side, the session cache off on both (`sessionCacheTtl: 0`), so that every mint reads its ' +
        'session row with its user; batches of sequential mints alternate between them. With the cache on, a mint reads no table at all.',
    );
    return section;
  } finally {
    await empty.stop();
  }
};
