import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startIdentityProcess } from './lib/identity-process.js';
import { residentMiB } from './lib/rss.js';
import { buildSoakReport, renderSoakReport, type MemoryTrace, type SoakReport } from './lib/soak-report.js';
import { SoakTally } from './lib/soak-tally.js';
import { runVirtualUser } from './lib/soak-workload.js';
import { spawnServer } from './lib/subgraph-fleet.js';

export interface SoakOptions {
  durationSec: number;
  /** Virtual users, each with a user of its own and one request in flight at a time. */
  connections: number;
}

const DEFAULTS: SoakOptions = { durationSec: 60, connections: 8 };
const SMOKE: SoakOptions = { durationSec: 3, connections: 4 };

/** Memory is compared from the end of the warm-up: a fifth of the run, at most 10 s. */
const warmupOf = (durationSec: number) => Math.min(10, durationSec / 5);

/** Samples a process's VmRSS at the start, on demand, and its peak once a second. */
function memoryTracer(process: MemoryTrace['process'], pid: number) {
  const startMiB = residentMiB(pid);
  let peakMiB = startMiB;
  let warmMiB = Number.NaN;
  const sample = () => {
    const now = residentMiB(pid);
    if (now > peakMiB || Number.isNaN(peakMiB)) peakMiB = now;
    return now;
  };
  const timer = setInterval(sample, 1000);
  return {
    warm: () => void (warmMiB = sample()),
    end(): MemoryTrace {
      clearInterval(timer);
      const endMiB = sample();
      return { process, pid, startMiB, warmMiB, endMiB, peakMiB, growthMiB: endMiB - warmMiB };
    },
  };
}

/**
 * `npm run soak`: the identity service (`graphql-sso serve`, a process of its own, on a fresh
 * PostgreSQL database) and a subgraph verifying its tokens (`createSsoContext` with
 * `@requiresScopes` and `@policy`, another process) under a mixed load for `durationSec`:
 * logins (some with a wrong password), mints, `me`, subgraph queries and logouts. Reports
 * answers by operation and class, latency percentiles and the memory of both processes.
 */
export async function runSoak(options: SoakOptions, progress: (line: string) => void = () => {}): Promise<SoakReport> {
  const identity = await startIdentityProcess({
    // Below the default 12, so that logins (bcrypt) do not crowd out the rest of the mix.
    passwordHashRounds: 10,
    moreUsers: options.connections,
    // Every virtual user logs in from 127.0.0.1: the per-address limit would end their logins, one
    // address standing for what in production are many clients. The per-username limit stays.
    settings: { authorizationAudience: ['bench', 'otherapp'], loginThrottle: { ipAttempts: 1_000_000 } },
    hooks: { createAuthorizationPayload: `${join(import.meta.dirname, 'lib/soak-authorization.js')}#createAuthorizationPayload` },
  });
  try {
    const subgraph = await spawnServer('sso', {
      issuer: 'bench',
      audience: 'otherapp',
      keyStoreRoot: identity.keyStoreRoot,
      publicKeyFile: 'bench-key.pem',
    });
    try {
      progress(
        `soak: identity ${identity.url} (pid ${identity.pid}), subgraph ${subgraph.url} (pid ${subgraph.pid}); ${identity.database.label}`,
      );
      const tracers = [memoryTracer('identity', identity.pid), memoryTracer('subgraph', subgraph.pid)];
      const warmupSec = warmupOf(options.durationSec);
      const warmTimer = setTimeout(() => tracers.forEach((tracer) => tracer.warm()), warmupSec * 1000);
      const tally = new SoakTally();
      const deadline = performance.now() + options.durationSec * 1000;
      const targets = { identityUrl: identity.url, subgraphUrl: subgraph.url, password: identity.password, decoyUser: 'bench' };
      await Promise.all(
        Array.from({ length: options.connections }, (_, k) => runVirtualUser(`bench-${k + 1}`, k * 7, targets, tally, deadline)),
      );
      clearTimeout(warmTimer);
      const memory = tracers.map((tracer) => tracer.end());
      return buildSoakReport(tally, {
        durationSec: options.durationSec,
        warmupSec,
        connections: options.connections,
        database: identity.database.label,
        memory,
      });
    } finally {
      await subgraph.stop();
    }
  } finally {
    await identity.stop();
  }
}

const USAGE = 'usage: soak [--duration SECONDS] [--connections N] [--smoke] [--json]';

/** The options of a command line, or a message naming the one at fault. */
export function parseSoakArgs(argv: string[]): { options: SoakOptions; json: boolean } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { duration: { type: 'string' }, connections: { type: 'string' }, smoke: { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const options = { ...(values.smoke ? SMOKE : DEFAULTS) };
  if (values.duration !== undefined) {
    const seconds = Number(values.duration);
    if (!/^\d+(\.\d+)?$/.test(values.duration) || !(seconds > 0))
      return { error: `--duration must be a number of seconds greater than 0 (got ${JSON.stringify(values.duration)})` };
    options.durationSec = seconds;
  }
  if (values.connections !== undefined) {
    const count = Number(values.connections);
    if (!/^\d+$/.test(values.connections) || count < 1 || count > 1000)
      return { error: `--connections must be a whole number from 1 to 1000 (got ${JSON.stringify(values.connections)})` };
    options.connections = count;
  }
  return { options, json: values.json === true };
}

/** Exit code 0: no unexpected answer; 1: some (or the soak could not run); 2: bad arguments. */
async function main(): Promise<void> {
  const parsed = parseSoakArgs(process.argv.slice(2));
  if ('error' in parsed) {
    process.stderr.write(`soak: ${parsed.error}\n${USAGE}\n`);
    process.exit(2);
  }
  const report = await runSoak(parsed.options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : renderSoakReport(report));
  process.exit(report.unexpected === 0 ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
