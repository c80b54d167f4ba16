import bcrypt from 'bcrypt';
import { createHash } from 'node:crypto';
import { assertClean, loadGraphQL } from './lib/load.js';
import { login, LOGIN_QUERY, ME_QUERY, startIdentityProcess } from './lib/identity-process.js';
import type { Bench, BenchSection } from './lib/types.js';

/** Raw bcrypt rate at a cost, with as many comparisons in flight as libuv has threads. */
async function rawBcryptRate(rounds: number, durationMs: number): Promise<number> {
  const password = createHash('sha256').update('bench-password').digest('base64');
  const hash = await bcrypt.hash(password, rounds);
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (performance.now() - start < durationMs) {
        await bcrypt.compare(password, hash);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/**
 * Issue 5, item 5: `obtainSessionToken` throughput vs raw bcrypt at the configured cost (12), and
 * the p99 latency of authenticated `me` queries while logins run flat out.
 */
export const loginBench: Bench = async ({ smoke }) => {
  const cost = smoke ? 4 : 12;
  const durationSec = smoke ? 1 : 10;
  const identity = await startIdentityProcess({ passwordHashRounds: cost });
  try {
    const session = await login(identity);
    const logins = await loadGraphQL(identity.url, LOGIN_QUERY(identity.password), { connections: 8, durationSec });
    assertClean(logins, 'obtainSessionToken');
    const raw = await rawBcryptRate(cost, durationSec * 1000);
    const [loginsUnderLoad, me] = await Promise.all([
      loadGraphQL(identity.url, LOGIN_QUERY(identity.password), { connections: 8, durationSec }),
      loadGraphQL(identity.url, ME_QUERY, { token: session, connections: 4, durationSec }),
    ]);
    assertClean(loginsUnderLoad, 'obtainSessionToken under mixed load');
    assertClean(me, 'me under mixed load');
    const section: BenchSection = {
      title: 'Login',
      measurements: [
        { name: `obtainSessionToken, bcrypt cost ${cost}`, value: logins.requests.average, unit: 'logins/s' },
        { name: `raw bcrypt.compare, cost ${cost}, ${process.env.UV_THREADPOOL_SIZE ?? 4} in flight`, value: raw, unit: 'compares/s' },
        { name: 'me while logins run flat out', value: me.requests.average, unit: 'req/s' },
        { name: 'me p50 latency while logins run flat out', value: me.latency.p50, unit: 'ms' },
        { name: 'me p99 latency while logins run flat out', value: me.latency.p99, unit: 'ms' },
      ],
      ratios: [
        { name: 'obtainSessionToken / raw bcrypt', value: logins.requests.average / raw, target: '>= 0.8', met: logins.requests.average / raw >= 0.8 },
        { name: 'me p99 latency during logins (ms)', value: me.latency.p99, target: '< 50 ms', met: me.latency.p99 < 50 },
      ],
      notes: [
        'bcrypt runs on the libuv thread pool, never on the event loop: `me` stays fast while every login costs a full bcrypt.',
        'The service and the raw bcrypt loop each had the 2 cores (the service shares them with autocannon).',
      ],
    };
    return section;
  } finally {
    await identity.stop();
  }
};
