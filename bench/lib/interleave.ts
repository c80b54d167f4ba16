import { median, rate } from './measure.js';

export interface InterleavedOptions {
  /** How long each op runs per round (ms). */
  durationMs: number;
  /** Rounds; in each, every op runs once, in a rotated order. */
  rounds: number;
}

export interface InterleavedRates {
  /** Median ops/s of each op. */
  rates: Record<string, number>;
  /** Median over rounds of `a`'s rate divided by `b`'s in the same round. */
  ratio(a: string, b: string): number;
}

/**
 * Ops/s of several ops measured side by side: each round runs every op for `durationMs`, in an
 * order rotated round by round, so a noisy neighbour or a frequency change hits all of them alike;
 * ratios are taken within a round and their median reported.
 */
export async function interleavedRates(
  ops: Record<string, (i: number) => unknown>,
  { durationMs, rounds }: InterleavedOptions,
): Promise<InterleavedRates> {
  const names = Object.keys(ops);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const warmupMs = Math.min(200, durationMs / 4);
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(k + round) % names.length]!;
      samples[name]!.push(await rate(ops[name]!, { durationMs, rounds: 1, warmupMs }));
    }
  }
  return {
    rates: Object.fromEntries(names.map((name) => [name, median(samples[name]!)])),
    ratio: (a, b) => median(samples[a]!.map((value, round) => value / samples[b]![round]!)),
  };
}
