import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareProfiles, summarizeCpuProfile, type ProfileSummary } from './cpu-profile.js';
import { loadServer, spawnServer, type RunningServer } from './subgraph-fleet.js';
import type { ServerKeys } from './subgraph-schema.js';
import type { ServerKind } from './subgraph-servers.js';

export interface ServerProfile {
  kind: ServerKind;
  summary: ProfileSummary;
  /** Requests answered while the samples kept were taken. */
  requests: number;
}

export interface ProfileOptions {
  /** Measured load per server, split in `rounds` alternating turns. */
  durationSec: number;
  rounds: number;
  connections: number;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs a fresh server of each kind under `node --cpu-prof`, warms each for a second, then loads
 * them in turn, `rounds` times (so that drift of the machine hits them alike), and summarizes each
 * profile over its server's measured turns only (start-up, warm-up and idle time left out).
 */
export async function profileServers(
  kinds: readonly ServerKind[],
  keys: ServerKeys,
  tokens: readonly string[],
  expectBody: (kind: ServerKind) => string,
  options: ProfileOptions,
): Promise<ServerProfile[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sso-bench-prof-'));
  try {
    const runs = kinds.map((kind) => ({ kind, dir: join(dir, kind), windows: [] as { fromUs: number; toUs: number }[], requests: 0 }));
    const servers: RunningServer[] = [];
    try {
      for (const run of runs) servers.push(await spawnServer(run.kind, keys, ['--cpu-prof', `--cpu-prof-dir=${run.dir}`]));
      const load = (i: number, durationSec: number) =>
        loadServer(servers[i]!, tokens, { connections: options.connections, durationSec, expectBody: expectBody(runs[i]!.kind) });
      for (let i = 0; i < runs.length; i += 1) await load(i, 1);
      for (let round = 0; round < options.rounds; round += 1) {
        for (let i = 0; i < runs.length; i += 1) {
          const fromUs = nowUs();
          runs[i]!.requests += (await load(i, options.durationSec / options.rounds)).requests;
          runs[i]!.windows.push({ fromUs, toUs: nowUs() });
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
    return runs.map(({ kind, dir: runDir, windows, requests }) => {
      const file = readdirSync(runDir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${kind}: node --cpu-prof wrote no profile`);
      return { kind, summary: summarizeCpuProfile(join(runDir, file), { windows, top: 40 }), requests };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perRequest = (profile: ServerProfile, ms: number) => (ms * 1000) / profile.requests;

/**
 * Says where `a` spends the CPU time per request that `b` does not: both totals, the categories
 * that differ most, and the time with graphql-sso's functions on the stack, per request.
 */
export function explainGap(a: ServerProfile, b: ServerProfile): string {
  const busy = perRequest(a, a.summary.busyMs);
  const own = perRequest(a, a.summary.own.total);
  const ownFunctions = a.summary.own.functions.slice(0, 6).map(({ name, ms }) => `${name} ${perRequest(a, ms).toFixed(1)}`);
  return [
    `CPU profile (node --cpu-prof on both server processes, loaded in alternation, samples of the measured load only): ${a.kind} ${busy.toFixed(0)} µs of CPU per request, ${b.kind} ${perRequest(b, b.summary.busyMs).toFixed(0)} µs`,
    `${a.kind} minus ${b.kind} per request, by where the time is spent (self time; native frames counted for their caller): ${compareProfiles(a, b).join(', ')}`,
    `with graphql-sso code on the stack (src/, inclusive): ${own.toFixed(1)} µs per request, ${((100 * own) / busy).toFixed(0)}% of ${a.kind}'s CPU — ${ownFunctions.join('; ')}`,
  ].join('; ');
}
