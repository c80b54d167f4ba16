/**
 * Latencies (ms) in logarithmic buckets 2% wide, from 10 µs to over an hour: percentiles within
 * 2% in a few KiB, however long a run lasts (a soak must not grow its own memory).
 */
export class LatencyHistogram {
  private static readonly MIN = 0.01;
  private static readonly GROWTH = Math.log(1.02);
  private readonly buckets = new Uint32Array(1024);
  count = 0;
  max = 0;

  record(ms: number): void {
    const index =
      ms <= LatencyHistogram.MIN
        ? 0
        : Math.min(this.buckets.length - 1, Math.ceil(Math.log(ms / LatencyHistogram.MIN) / LatencyHistogram.GROWTH));
    this.buckets[index]! += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }

  /** The upper bound of the bucket holding the `p`th percentile (0 < p <= 100); `NaN` when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let index = 0; index < this.buckets.length; index += 1) {
      seen += this.buckets[index]!;
      if (seen >= rank) return Math.min(this.max, LatencyHistogram.MIN * Math.exp(index * LatencyHistogram.GROWTH));
    }
    return this.max;
  }
}
