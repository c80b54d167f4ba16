import { performance } from 'node:perf_hooks';

export interface RateOptions {
  /** How long each timed round runs (ms). */
  durationMs: number;
  /** Timed rounds; the median is reported. */
  rounds: number;
  /** Untimed warm-up (ms). */
  warmupMs?: number;
}

/**
 * Operations per second of `op` (called with an increasing index), as the median of `rounds`
 * rounds: the machines are noisy, so only ratios of rates measured side by side mean anything.
 */
export async function rate(op: (i: number) => unknown, { durationMs, rounds, warmupMs = durationMs / 2 }: RateOptions): Promise<number> {
  let i = 0;
  const isAsync = op(i++) instanceof Promise;
  const runFor = async (ms: number) => {
    const start = performance.now();
    let count = 0;
    while (performance.now() - start < ms) {
      for (let n = 0; n < 64; n += 1) {
        if (isAsync) await op(i++);
        else op(i++);
      }
      count += 64;
    }
    return count / ((performance.now() - start) / 1000);
  };
  await runFor(warmupMs);
  const results: number[] = [];
  for (let r = 0; r < rounds; r += 1) results.push(await runFor(durationMs));
  return median(results);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
