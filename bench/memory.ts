import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryChildResult } from './memory-child.js';
import type { Bench } from './lib/types.js';

const MiB = 1024 * 1024;

/** Runs memory-child.js in a process of its own and returns its last line of output. */
function runChild(args: string[]): Promise<string> {
  const script = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`memory-child ${args[0]} exited with ${code}: ${stderr.trim()}`));
      else resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

/**
 * Issue 5 item 7: resident memory of the identity service's verification path (createSsoContext
 * with its default verified-token cache and a session check per request) after many
 * verifications of many distinct tokens, in a child process of its own.
 */
export const memoryBench: Bench = async ({ smoke }) => {
  const dir = mkdtempSync(join(tmpdir(), 'sso-bench-memory-'));
  let result: MemoryChildResult;
  try {
    await runChild(['generate', dir, String(smoke ? 2_000 : 100_000)]);
    result = JSON.parse(await runChild(['measure', dir, String(smoke ? 20_000 : 1_000_000)])) as MemoryChildResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The cache's share: at most maxEntries entries of at most ~1 KiB for tokens like these
  // (measured ~0.6 KiB each); the rest is room for the V8 heap to breathe under churn.
  const cacheBoundMiB = (result.cacheMaxEntries * 1024) / MiB;
  const slackMiB = 32;
  const boundMiB = cacheBoundMiB + slackMiB;
  const baselineMiB = result.baselineRss / MiB;
  const finalMiB = result.finalRss / MiB;
  const heapGrowth = result.finalHeapUsed - result.baselineHeapUsed;
  const churn = result.tokens > result.cacheMaxEntries;
  return {
    title: 'Memory of the verification path',
    measurements: [
      { name: 'verifications', value: result.verifications, unit: 'requests' },
      { name: 'distinct tokens', value: result.tokens, unit: 'tokens' },
      { name: 'verified-token cache entries at the end', value: result.cache.size, unit: `entries (max ${result.cacheMaxEntries})` },
      { name: 'cache hits', value: result.cache.hits, unit: 'hits' },
      { name: 'RSS before (tokens and sessions loaded, after GC)', value: baselineMiB, unit: 'MiB' },
      { name: 'RSS after (after GC)', value: finalMiB, unit: 'MiB' },
      { name: 'RSS at peak (sampled every 10k requests, no forced GC)', value: result.peakRss / MiB, unit: 'MiB' },
      { name: 'heap used before (after GC)', value: result.baselineHeapUsed / MiB, unit: 'MiB' },
      { name: 'heap used after (after GC)', value: result.finalHeapUsed / MiB, unit: 'MiB' },
      {
        name: 'verification rate (whole path, one request at a time)',
        value: result.verifications / (result.durationMs / 1000),
        unit: 'req/s',
      },
    ],
    ratios: [
      {
        name: 'RSS after the verifications (after GC)',
        value: finalMiB,
        target: `<= ${(baselineMiB + boundMiB).toFixed(0)} MiB`,
        met: finalMiB <= baselineMiB + boundMiB,
        note:
          `bound = RSS before (${baselineMiB.toFixed(0)} MiB) + the verified-token cache's ${cacheBoundMiB.toFixed(0)} MiB ` +
          `(${result.cacheMaxEntries} entries × 1 KiB) + ${slackMiB} MiB of heap slack; grew ${(finalMiB - baselineMiB).toFixed(1)} MiB`,
      },
    ],
    notes: [
      `Run in a child process of its own (\`node --expose-gc\`; the tokens are signed by another one beforehand): gc ${result.gcExposed ? 'was' : 'was NOT'} exposed, so "after GC" figures ${result.gcExposed ? 'follow forced full collections' : 'are without forced collections'}.`,
      "The path: createSsoContext as the identity service builds it (default verifiedTokenCacheSize, verifySessionToken on), each request a new Authorization header string; an in-memory session table stands in for the database, so the figures are the library's own.",
      `Heap growth after GC: ${(heapGrowth / MiB).toFixed(1)} MiB for ${result.cache.size} cached tokens` +
        (result.cache.size > 0 ? ` (~${Math.round(heapGrowth / result.cache.size)} bytes each, digest key and frozen payload).` : '.'),
      churn
        ? `Tokens are picked uniformly at random from ${result.tokens}, more than the cache holds: ${result.cache.evictions} evictions, so the cache is measured at its bound, under churn.`
        : `All ${result.tokens} tokens fit in the cache (${result.cache.evictions} evictions).`,
      'The peak (no forced GC) is V8 letting garbage build up to a multiple of the live heap before a full collection, not retained memory.',
    ],
  };
};
