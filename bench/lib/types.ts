/** One measured quantity of a bench section. */
export interface Measurement {
  name: string;
  value: number;
  /** e.g. `ops/s`, `req/s`, `ms`, `MiB`, `writes/request`. */
  unit: string;
}

/** A ratio against a baseline measured in the same run, with the target it must meet. */
export interface Ratio {
  name: string;
  value: number;
  /** e.g. `>= 0.9`, `>= 10`, `< 50 ms`. */
  target: string;
  met: boolean;
  /** Why a target is not met, or how to read it. */
  note?: string;
}

export interface BenchSection {
  title: string;
  measurements: Measurement[];
  ratios: Ratio[];
  notes?: string[];
}

export interface BenchOptions {
  /** A seconds-long run that only proves the bench works (CI). */
  smoke: boolean;
}

export type Bench = (options: BenchOptions) => Promise<BenchSection>;
