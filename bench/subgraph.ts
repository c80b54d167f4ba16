import { median } from './lib/measure.js';
import { checkServers, EXPECTED_BODY } from './lib/subgraph-check.js';
import { createBenchKeys, loadServer, spawnServers, type RunningServer } from './lib/subgraph-fleet.js';
import { explainGap, profileServers } from './lib/subgraph-profile.js';
import { SCOPE, SUBGRAPH_QUERY } from './lib/subgraph-schema.js';
import { SERVER_KINDS, type ServerKind } from './lib/subgraph-servers.js';
import type { Bench, BenchSection, Ratio } from './lib/types.js';

const LABEL: Record<ServerKind, string> = {
  sso: '(A) graphql-sso: createSsoContext + applyAuthDirectives',
  'sso-nocache': '(A′) graphql-sso, verifiedTokenCacheSize 0',
  off: '(B) same Apollo subgraph, auth off',
  handrolled: '(C) Apollo + hand-rolled jsonwebtoken context and resolver checks',
  yoga: '(D) GraphQL Yoga + plugin-jwt + generic-auth',
};
const TARGETS: { baseline: ServerKind; name: string; min: number; target: string }[] = [
  { baseline: 'off', name: 'graphql-sso / auth off', min: 0.85, target: '>= 0.85' },
  { baseline: 'handrolled', name: 'graphql-sso / hand-rolled jsonwebtoken', min: 3.0, target: '>= 3' },
  { baseline: 'yoga', name: 'graphql-sso / Yoga + plugin-jwt + generic-auth', min: 1.0, target: '>= 1.0' },
];
const POOLS = ['distinct', 'hot'] as const;
type Pool = (typeof POOLS)[number];

interface Plan {
  tokens: number;
  warmupSec: number;
  rounds: number;
  durationSec: number;
  connections: number;
  profileSec: number;
}
const FULL: Plan = { tokens: 1000, warmupSec: 2, rounds: 12, durationSec: 1.5, connections: 50, profileSec: 8 };
const SMOKE: Plan = { tokens: 50, warmupSec: 0.3, rounds: 1, durationSec: 1, connections: 50, profileSec: 0 };

interface Samples {
  rps: number[];
  p99: number[];
  cpuUs: number[];
}

/**
 * Issue 5, item 3: the same query, schema and data through each server in a process of its own,
 * loaded by autocannon from this process over loopback. The machine has 2 cores: one for the
 * server under load, one for autocannon (the other servers sit idle). Rounds are interleaved, so
 * that drift hits every server alike; ratios are medians of per-round ratios.
 */
export const subgraphBench: Bench = async ({ smoke }) => {
  const plan = smoke ? SMOKE : FULL;
  const keys = await createBenchKeys();
  // Same claims, a distinct `jti`/`sid` (and so signature) each: nothing can answer one from another's verification.
  const tokens = Array.from({ length: plan.tokens }, () => keys.mint({ account: '1', scopes: [SCOPE] }));
  const pools: Record<Pool, readonly string[]> = { distinct: tokens, hot: [tokens[0]!] };
  const servers: RunningServer[] = [];
  try {
    servers.push(...(await spawnServers(SERVER_KINDS, keys.keys)));
    const bodies = await checkServers(servers, tokens, keys);
    const load = (server: RunningServer, pool: Pool, durationSec: number) =>
      loadServer(server, pools[pool], { connections: plan.connections, durationSec, expectBody: bodies.get(server.kind)! });

    const samples = new Map<string, Samples>();
    for (const pool of POOLS) {
      for (const server of servers) await load(server, pool, plan.warmupSec);
      for (let round = 0; round < plan.rounds; round += 1) {
        for (let k = 0; k < servers.length; k += 1) {
          const server = servers[(k + round) % servers.length]!;
          const result = await load(server, pool, plan.durationSec);
          const entry = samples.get(`${server.kind}/${pool}`) ?? { rps: [], p99: [], cpuUs: [] };
          entry.rps.push(result.rps);
          entry.p99.push(result.p99);
          entry.cpuUs.push(result.serverCpuUs);
          samples.set(`${server.kind}/${pool}`, entry);
        }
      }
    }
    const of = (kind: ServerKind, pool: Pool) => samples.get(`${kind}/${pool}`)!;

    const section: BenchSection = { title: 'Subgraph end to end', measurements: [], ratios: [], notes: [] };
    for (const pool of POOLS) {
      for (const kind of SERVER_KINDS) {
        const entry = of(kind, pool);
        section.measurements.push({ name: `${LABEL[kind]}, ${pool} tokens: throughput`, value: median(entry.rps), unit: 'req/s' });
        section.measurements.push({ name: `${LABEL[kind]}, ${pool} tokens: p99 latency`, value: median(entry.p99), unit: 'ms' });
        const cpuUs = median(entry.cpuUs);
        if (Number.isFinite(cpuUs))
          section.measurements.push({ name: `${LABEL[kind]}, ${pool} tokens: server CPU per request`, value: cpuUs, unit: 'µs' });
      }
      for (const { baseline, name, min, target } of TARGETS) {
        const perRound = of('sso', pool).rps.map((rps, round) => rps / of(baseline, pool).rps[round]!);
        const value = median(perRound);
        // What the server's own work costs, whatever share of the cores it got: the baseline's CPU per request over ours.
        const onCpu = median(of('sso', pool).cpuUs.map((us, round) => of(baseline, pool).cpuUs[round]! / us));
        const notes = [`per round: ${perRound.map((r) => r.toFixed(2)).join(', ')}`];
        if (Number.isFinite(onCpu))
          notes.push(`on server CPU per request instead of req/s (${baseline}'s µs / graphql-sso's µs): ${onCpu.toFixed(2)}`);
        if (baseline !== 'off') {
          // No server that checks tokens outruns the same server checking none: how far the machine lets the ratio go.
          const ceiling = median(of('off', pool).rps.map((rps, round) => rps / of(baseline, pool).rps[round]!));
          notes.push(`ceiling on this machine (auth off / ${baseline}, same rounds): ${ceiling.toFixed(2)}`);
        }
        const ratio: Ratio = { name: `${name} (${pool} tokens), req/s`, value, target, met: value >= min };
        if (!ratio.met && !smoke) {
          const [sso, other] = await profileServers(['sso', baseline], keys.keys, pools[pool], (kind) => bodies.get(kind)!, {
            durationSec: plan.profileSec,
            rounds: 4,
            connections: plan.connections,
          });
          notes.push(explainGap(sso!, other!));
        }
        ratio.note = notes.join('; ');
        section.ratios.push(ratio);
      }
    }
    const nocache = (pool: Pool, baseline: ServerKind) =>
      median(of('sso-nocache', pool).rps.map((rps, round) => rps / of(baseline, pool).rps[round]!)).toFixed(2);
    section.notes!.push(
      `Query \`${SUBGRAPH_QUERY}\`: \`Query.account\` carries \`@policy(policies: [["account-member"]])\` (the token's \`account\` claim is the \`id\` asked for) and \`Account.balance\` \`@requiresScopes(scopes: [["${SCOPE}"]])\`; same federation subgraph schema (buildSubgraphSchema), in-memory data and resolvers in every server. Before measuring, every server answered every pool token with \`${EXPECTED_BODY}\` (Apollo Server adds a newline, Yoga does not), and every server with auth refused a request with no token, another account, no scope and a bad signature; under load, every answer is compared with that body.`,
      `Tokens: RS256 authorization tokens from \`encodeJwtToken\` (iss \`myapp\`, aud \`otherapp\`, account \`1\`, scopes [\`${SCOPE}\`], 6 h lifetime), verified by every server with the same public key. "distinct": ${plan.tokens} tokens (same claims, each its own \`jti\`/\`sid\`, so its own signature) in rotation; "hot": one token (one client).`,
      `Each server runs in a child process (NODE_ENV=production) on 127.0.0.1; autocannon 9 drives it from the bench process with ${plan.connections} connections, pipelining 1. The machine has 2 cores: one for the server under load, one for autocannon; the servers not under load are idle. Per pool, each server is warmed for ${plan.warmupSec} s, then measured in ${plan.rounds} interleaved round(s) of ${plan.durationSec} s (${plan.rounds * plan.durationSec} s per server); values are medians over rounds, ratios medians of per-round ratios. Server CPU per request is the child's user+system time (/proc) over the requests it answered.`,
      `graphql-sso's createSsoContext keeps a cache of verified tokens (verifiedTokenCacheSize, default 10,000), so after the first pass over the pool it verifies no signature again; B, C and D verify (or skip) every request alike. A′ is graphql-sso with that cache off (\`verifiedTokenCacheSize: 0\`), for reading what the cache buys: A′ / hand-rolled ${nocache('distinct', 'handrolled')} (distinct) / ${nocache('hot', 'handrolled')} (hot), A′ / Yoga ${nocache('distinct', 'yoga')} / ${nocache('hot', 'yoga')}.`,
    );
    return section;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    keys.cleanup();
  }
};
