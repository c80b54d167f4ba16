import bcrypt from 'bcrypt';
import { createHash } from 'node:crypto';
import { assertClean, loadGraphQL } from './lib/load.js';
import { login, LOGIN_QUERY, ME_QUERY, startIdentityProcess } from './lib/identity-process.js';
import { median } from './lib/measure.js';
import { ownCpuSeconds, processCpuSeconds } from './lib/process-cpu.js';
import type { Bench, BenchSection } from './lib/types.js';

const LOGIN_TARGET = 0.9;
const LATENCY_TARGET_MS = 50;
/** The default `passwordHashRounds`. */
const COST = 12;

/** Users logging in, in turn. */
const USERS = 32;

const threadPoolSize = () => Number(process.env.UV_THREADPOOL_SIZE || 4);

/**
 * Raw bcrypt rate at a cost, as the service verifies a password (`bcrypt.compare` of the
 * password's SHA-256 prehash), with as many comparisons in flight as libuv has threads.
 */
async function rawBcrypt(password: string, hash: string, durationMs: number): Promise<{ rate: number; cpuPerCompare: number }> {
  let done = 0;
  const start = performance.now();
  const cpu = await ownCpuSeconds(() =>
    Promise.all(
      Array.from({ length: threadPoolSize() }, async () => {
        while (performance.now() - start < durationMs) {
          await bcrypt.compare(password, hash);
          done += 1;
        }
      }),
    ),
  );
  return { rate: done / ((performance.now() - start) / 1000), cpuPerCompare: cpu / done };
}

/**
 * Issue 5, item 5: `obtainSessionToken` throughput vs raw bcrypt at the default cost (12), in
 * alternating rounds, and the latency of authenticated `me` queries while logins run flat out.
 */
export const loginBench: Bench = async ({ smoke }) => {
  const cost = smoke ? 4 : COST;
  const durationSec = smoke ? 1 : 5;
  // Logins of many users, as in life: one user's logins would queue on the row of its one reused session.
  const identity = await startIdentityProcess({ passwordHashRounds: cost, moreUsers: USERS });
  const logins = Array.from({ length: USERS }, (_, i) => LOGIN_QUERY(identity.password, `bench-${i + 1}`));
  try {
    const session = await login(identity);
    const prehashed = createHash('sha256').update(identity.password.normalize('NFC')).digest('base64');
    const hash = await bcrypt.hash(prehashed, cost);
    // Each login is one bcrypt.compare, then the user's session (reused: same client and agent) and a signature.
    const connections = threadPoolSize() * 2;
    const warm = await loadGraphQL(identity.url, logins, { connections, durationSec: smoke ? 1 : 3 });
    // Rounds of a fixed number of logins (about `durationSec` worth), so that none is in flight
    // when the service's CPU is read.
    const amount = Math.max(connections * 2, Math.round((warm['2xx'] / warm.duration) * durationSec));
    const served: number[] = [];
    const raw: number[] = [];
    const cpuPerLogin: number[] = [];
    const cpuPerCompare: number[] = [];
    for (let round = 0; round < (smoke ? 1 : 6); round += 1) {
      const cpuBefore = processCpuSeconds(identity.pid);
      const result = await loadGraphQL(identity.url, logins, { connections, durationSec, amount });
      const cpuAfter = processCpuSeconds(identity.pid);
      assertClean(result, 'obtainSessionToken');
      served.push(result['2xx'] / result.duration);
      if (cpuBefore !== null && cpuAfter !== null) cpuPerLogin.push((cpuAfter - cpuBefore) / result['2xx']);
      const bcryptRun = await rawBcrypt(prehashed, hash, durationSec * 1000);
      raw.push(bcryptRun.rate);
      cpuPerCompare.push(bcryptRun.cpuPerCompare);
    }
    const ratio = median(served.map((value, i) => value / raw[i]!));

    const quiet = await loadGraphQL(identity.url, ME_QUERY, { token: session, connections: 4, durationSec });
    assertClean(quiet, 'me alone');
    const [loginsUnderLoad, me] = await Promise.all([
      loadGraphQL(identity.url, logins, { connections, durationSec: durationSec + 1 }),
      loadGraphQL(identity.url, ME_QUERY, { token: session, connections: 4, durationSec }),
    ]);
    assertClean(loginsUnderLoad, 'obtainSessionToken beside me');
    assertClean(me, 'me beside logins');
    const threads = threadPoolSize();
    return {
      title: 'Login',
      measurements: [
        { name: `obtainSessionToken, bcrypt cost ${cost} (${connections} connections)`, value: median(served), unit: 'logins/s' },
        {
          name: `raw bcrypt.compare, cost ${cost}, ${threads} in flight (UV_THREADPOOL_SIZE ${threads})`,
          value: median(raw),
          unit: 'compares/s',
        },
        ...(cpuPerLogin.length > 0
          ? [
              { name: 'CPU per login (the service process, every thread)', value: median(cpuPerLogin) * 1000, unit: 'ms' },
              { name: 'CPU per raw bcrypt.compare', value: median(cpuPerCompare) * 1000, unit: 'ms' },
              {
                name: 'CPU per bcrypt.compare / CPU per login (1: nothing else costs; unmoved by other processes)',
                value: median(cpuPerCompare) / median(cpuPerLogin),
                unit: 'ratio',
              },
            ]
          : []),
        { name: 'obtainSessionToken while me runs beside it', value: loginsUnderLoad.requests.average, unit: 'logins/s' },
        { name: 'me alone (4 connections)', value: quiet.requests.average, unit: 'req/s' },
        { name: 'me p99 latency alone', value: quiet.latency.p99, unit: 'ms' },
        { name: 'me while logins run flat out (4 connections)', value: me.requests.average, unit: 'req/s' },
        { name: 'me mean latency alone', value: quiet.latency.average, unit: 'ms' },
        { name: 'me mean latency while logins run flat out', value: me.latency.average, unit: 'ms' },
        { name: 'me p99 latency while logins run flat out', value: me.latency.p99, unit: 'ms' },
      ],
      ratios: [
        {
          name: `obtainSessionToken / raw bcrypt (cost ${cost})`,
          value: ratio,
          target: `>= ${LOGIN_TARGET} (~1: nothing but bcrypt costs)`,
          met: ratio >= LOGIN_TARGET,
          ...(ratio >= LOGIN_TARGET
            ? {}
            : {
                note:
                  cpuPerLogin.length > 0 && median(cpuPerCompare) / median(cpuPerLogin) >= LOGIN_TARGET
                    ? `in CPU a login costs ${(median(cpuPerLogin) / median(cpuPerCompare)).toFixed(2)}× its bcrypt run (measured): the rate ratio moved with other processes taking cores between rounds`
                    : 'a login costs noticeably more than its bcrypt run: see the CPU measurements',
              }),
        },
        {
          name: 'me p99 latency while logins run flat out (ms)',
          value: me.latency.p99,
          target: `< ${LATENCY_TARGET_MS} ms`,
          met: me.latency.p99 < LATENCY_TARGET_MS,
          ...(me.latency.p99 < LATENCY_TARGET_MS
            ? {}
            : { note: 'the bcrypt threads and the event loop share 2 cores: the loop waited for CPU, though bcrypt never runs on it' }),
        },
      ],
      notes: [
        `Database: ${identity.database.label}.`,
        `bcrypt runs on the libuv thread pool (UV_THREADPOOL_SIZE, ${threads} here, in the service as in this process), never on the event loop, ` +
          'so `me` is answered while every thread hashes. The service shares the 2 cores with autocannon; raw bcrypt ran alone, in rounds alternating with the logins.',
      ],
    } satisfies BenchSection;
  } finally {
    await identity.stop();
  }
};
