import { createPrivateKey, sign } from 'node:crypto';
import { generateKeyPem } from '../src/index.js';
import {
  benchDatabase,
  login,
  ME_QUERY,
  mint,
  MINT_QUERY,
  startIdentityProcess,
  type IdentityProcessOptions,
} from './lib/identity-process.js';
import { interleavedLoads, loadGraphQL, loadWithServerCpu } from './lib/load.js';
import { median, rate } from './lib/measure.js';
import { PGBOUNCER, startPgBouncer } from './lib/pgbouncer.js';
import type { Bench, BenchSection } from './lib/types.js';

const ME_TARGET = 0.9;
const MINT_TARGET = 0.55;
const ANONYMOUS_QUERY = '{ __typename }';

interface Topology {
  name: string;
  options: IdentityProcessOptions;
  /** Started before the service, stopped after it. */
  around?: () => Promise<{ options: IdentityProcessOptions; stop(): void }>;
}

/**
 * Authenticated `{ me { username } }` against anonymous `{ __typename }` on the same `serve`
 * process, in alternating rounds (16 connections each), and `obtainAuthorizationToken` against
 * raw RS256 signing in this process.
 */
async function measureTopology(topology: Topology, smoke: boolean, section: BenchSection): Promise<void> {
  const around = topology.around ? await topology.around() : null;
  try {
    const identity = await startIdentityProcess({ passwordHashRounds: 4, ...topology.options, ...around?.options });
    try {
      const session = await login(identity);
      const durationSec = smoke ? 1 : 2;
      const loads = {
        anonymous: { url: identity.url, query: ANONYMOUS_QUERY, connections: 16 },
        me: { url: identity.url, query: ME_QUERY, token: session, connections: 16 },
      };
      await interleavedLoads(loads, { durationSec: smoke ? 1 : 2, rounds: 1 });
      const measured = await interleavedLoads(loads, { durationSec, rounds: smoke ? 1 : 10, serverPid: identity.pid });
      const meRatio = measured.ratio('me', 'anonymous');
      const cpu = measured.cpuPerRequest;
      const cpuRatio = measured.cpuRatio('me', 'anonymous');
      section.measurements.push(
        { name: `${topology.name}: anonymous { __typename }`, value: measured.rates.anonymous!, unit: 'req/s' },
        { name: `${topology.name}: authenticated { me { username } }`, value: measured.rates.me!, unit: 'req/s' },
        ...(cpu
          ? [
              { name: `${topology.name}: server CPU per anonymous request`, value: cpu.anonymous! * 1e6, unit: 'µs' },
              { name: `${topology.name}: server CPU per me`, value: cpu.me! * 1e6, unit: 'µs' },
            ]
          : []),
      );
      section.ratios.push({
        name: `${topology.name}: me / anonymous __typename, req/s`,
        value: meRatio,
        target: `>= ${ME_TARGET}`,
        met: meRatio >= ME_TARGET,
        ...(cpuRatio !== null ? { note: `on server CPU per request, same rounds (anonymous µs / me µs): ${cpuRatio.toFixed(2)}` } : {}),
      });

      const sample = await mint(identity.url, session);
      const input = Buffer.from(sample.split('.').slice(0, 2).join('.'));
      const key = createPrivateKey(await generateKeyPem('RS256'));
      const signOnce = () => sign('sha256', input, key);
      const minted: number[] = [];
      const raw: number[] = [];
      // Server CPU per token against this process's CPU per signature (the signing loop keeps its core busy).
      const cpuShares: number[] = [];
      await loadGraphQL(identity.url, MINT_QUERY, { token: session, connections: 16, durationSec: smoke ? 1 : 2 });
      for (let round = 0; round < (smoke ? 1 : 6); round += 1) {
        const { result, cpuPerRequest } = await loadWithServerCpu(
          identity.url,
          MINT_QUERY,
          { token: session, connections: 16, durationSec: smoke ? 1 : 3 },
          identity.pid,
        );
        minted.push(result.requests.average);
        const signatures = await rate(signOnce, { durationMs: smoke ? 200 : 1000, rounds: 1, warmupMs: smoke ? 50 : 200 });
        raw.push(signatures);
        if (cpuPerRequest !== null) cpuShares.push(1 / signatures / cpuPerRequest);
      }
      const mintRatio = median(minted.map((value, i) => value / raw[i]!));
      section.measurements.push(
        { name: `${topology.name}: obtainAuthorizationToken (RS256)`, value: median(minted), unit: 'tokens/s' },
        { name: `${topology.name}: raw crypto.sign (RS256, one core, this process)`, value: median(raw), unit: 'signatures/s' },
      );
      section.ratios.push({
        name: `${topology.name}: obtainAuthorizationToken / raw RS256 signing`,
        value: mintRatio,
        target: `>= ${MINT_TARGET}`,
        met: mintRatio >= MINT_TARGET,
        ...(cpuShares.length > 0
          ? { note: `on CPU, same rounds (µs per raw signature / server µs per token): ${median(cpuShares).toFixed(2)}` }
          : {}),
      });
    } finally {
      await identity.stop();
    }
  } finally {
    around?.stop();
  }
}

/** Issue 16: the identity service's authenticated requests and minting, on each database it runs on. */
export const identityBench: Bench = async ({ smoke }) => {
  const section: BenchSection = { title: 'Identity service', measurements: [], ratios: [], notes: [] };
  const topologies: Topology[] = [{ name: 'embedded (npm start)', options: { embedded: true } }];
  const probe = await benchDatabase();
  await probe.drop();
  if (probe.kind === 'postgresql') {
    topologies.push({ name: 'PostgreSQL', options: {} });
    if (PGBOUNCER) {
      topologies.push({
        name: 'PostgreSQL through PgBouncer',
        options: {},
        around: async () => {
          const server = new URL(
            process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
          );
          const bouncer = await startPgBouncer(server);
          return {
            options: {
              serveDatabase: (url) => ({ DATABASE_URL: bouncer.url(new URL(url).pathname.slice(1)), DATABASE_LISTEN_URL: url }),
            },
            stop: () => bouncer.stop(),
          };
        },
      });
    } else {
      section.notes!.push('PgBouncer is not installed (apt-get install pgbouncer): the pooled topology was not measured.');
    }
  } else {
    section.notes!.push('No PostgreSQL server answered: only the embedded database was measured.');
  }
  for (const topology of topologies) await measureTopology(topology, smoke, section);
  section.notes!.unshift(
    `Database: embedded PGlite (the default without DATABASE_URL)${probe.kind === 'postgresql' ? `, and ${probe.label.replace(' (a fresh database)', '')} (a fresh database per topology)` : ''}.`,
  );
  section.notes!.push(
    'Each topology: `graphql-sso serve` in a process of its own, autocannon (16 connections) in this one, sharing the 2 cores. ' +
      '`me` and `{ __typename }` ran in alternating rounds on the same process; the ratio is the median of the rounds. ' +
      'Minting alternated with raw RS256 signing of a token of the same shape in this process.',
    'PgBouncer: Debian’s, in transaction pooling mode, started by the bench; the service LISTENs on a direct connection (DATABASE_LISTEN_URL).',
  );
  return section;
};
