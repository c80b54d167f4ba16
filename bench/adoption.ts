import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, ok, packPackage } from '../test/support/app.js';
import type { Bench } from './lib/types.js';

/** Bytes of the files under `dir` (apparent sizes, as npm's "unpacked size"); symlinks are not followed. */
function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** Installed packages, as the lockfile counts them. */
function packageCount(app: string): number {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return Object.keys(lock.packages).filter((path) => path !== '').length;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Milliseconds and RSS (MiB) of a fresh `node` importing `modules` in turn. */
async function importCost(app: string, modules: string[]): Promise<{ ms: number; rss: number }> {
  const script = `const t = performance.now(); for (const m of ${JSON.stringify(modules)}) await import(m); console.log(JSON.stringify({ ms: performance.now() - t, rss: process.memoryUsage().rss / 2 ** 20 }));`;
  const { stdout } = await ok(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
  return JSON.parse(stdout) as { ms: number; rss: number };
}

/**
 * What graphql-sso costs a subgraph that adopts it: an application with `graphql` 16 and
 * `@apollo/server` 5 from the registry, then the same with the packed graphql-sso installed as the
 * README says (`npm i graphql-sso graphql@16`): bytes and packages added, and the time and memory
 * that `import('graphql-sso')` adds to importing `@apollo/server`, alternating runs of each.
 */
export const adoptionBench: Bench = async ({ smoke }) => {
  const work = await mkdtemp(join(tmpdir(), 'sso-adoption-'));
  const app = createApp('sso-adoption-app-');
  try {
    const tarball = await packPackage(work);
    await ok('npm', ['i', 'graphql@16', '@apollo/server@5', '--no-audit', '--no-fund'], { cwd: app });
    const before = { bytes: treeBytes(join(app, 'node_modules')), packages: packageCount(app) };
    await ok('npm', ['i', tarball, 'graphql@16', '--no-audit', '--no-fund'], { cwd: app });
    const after = { bytes: treeBytes(join(app, 'node_modules')), packages: packageCount(app) };
    const ownBytes = treeBytes(join(app, 'node_modules/graphql-sso'));

    const runs = smoke ? 3 : 21;
    const alone: { ms: number; rss: number }[] = [];
    const withSso: { ms: number; rss: number }[] = [];
    for (let i = 0; i < runs; i += 1) {
      alone.push(await importCost(app, ['@apollo/server']));
      withSso.push(await importCost(app, ['@apollo/server', 'graphql-sso']));
    }
    const addedMs = Math.max(0.01, median(withSso.map((r) => r.ms)) - median(alone.map((r) => r.ms)));
    const addedRss = median(withSso.map((r) => r.rss)) - median(alone.map((r) => r.rss));
    const addedMB = (after.bytes - before.bytes) / 1e6;
    const addedPackages = after.packages - before.packages;
    return {
      title: 'adoption (a subgraph app installing graphql-sso)',
      measurements: [
        { name: 'graphql + @apollo/server: node_modules', value: before.bytes / 1e6, unit: 'MB' },
        { name: 'graphql + @apollo/server: packages', value: before.packages, unit: 'packages' },
        { name: 'graphql-sso itself (its folder)', value: ownBytes / 1e6, unit: 'MB' },
        { name: 'import @apollo/server (median)', value: median(alone.map((r) => r.ms)), unit: 'ms' },
        { name: 'import @apollo/server, then graphql-sso (median)', value: median(withSso.map((r) => r.ms)), unit: 'ms' },
        { name: 'RSS after importing @apollo/server (median)', value: median(alone.map((r) => r.rss)), unit: 'MiB' },
        { name: 'RSS added by importing graphql-sso (median)', value: Math.max(0.01, addedRss), unit: 'MiB' },
      ],
      ratios: [
        { name: 'install size added', value: addedMB, target: '<= 15 MB', met: addedMB <= 15 },
        { name: 'packages added', value: Math.max(1, addedPackages), target: '<= 40', met: addedPackages <= 40 },
        { name: 'import time added', value: addedMs, target: '<= 300 ms', met: addedMs <= 300 },
      ],
      notes: [
        `${runs} alternating runs of each import in a fresh process; the app's packages are the registry's newest graphql 16 and @apollo/server 5.`,
      ],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  }
};
