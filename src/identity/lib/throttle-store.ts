/**
 * What a login attempt is counted against: a username from one client address (`username_ip`),
 * a username from all addresses together (`username`), a client address over all usernames
 * (`ip`), or the current password of `changePassword`, per user (`password`).
 */
export type ThrottleKind = 'username_ip' | 'username' | 'ip' | 'password';

export interface ThrottleKey {
  kind: ThrottleKind;
  /** The client address, or a digest (of the username, of the username and address, of the user id). */
  key: string;
  /** Attempts let through before the back-off starts. */
  freeAttempts: number;
  /**
   * The count is forgotten a window after its *first* counted attempt, rather than a window
   * after its last: attempts trickling in can never keep it growing.
   */
  fixedWindow?: boolean;
}

/** How the wait grows and when counts are forgotten, in milliseconds. */
export interface ThrottleTiming {
  /** The wait after the last free attempt; it doubles with each further attempt ... */
  backoffBase: number;
  /** ... up to this. */
  backoffMax: number;
  /** A count untouched this long is forgotten. */
  window: number;
}

/** A key that refused the attempt, and how long (ms) it still waits. */
export interface ThrottleRefusal {
  kind: ThrottleKind;
  wait: number;
}

/**
 * Where the counts live, shared by every process of the service. Every operation is atomic
 * across processes: two attempts reserved at once never both take the last free slot.
 */
export interface ThrottleStore {
  /**
   * Counts one attempt against every key, or, when any key still waits, against none and
   * returns the waiting keys. `now` in milliseconds.
   */
  reserve(keys: ThrottleKey[], now: number): Promise<ThrottleRefusal[]>;
  /** Forgets a key's count (a username after its successful login). */
  reset(key: ThrottleKey): Promise<void>;
  /** Takes back one counted attempt (a client address after a successful login). */
  refund(key: ThrottleKey): Promise<void>;
  /** Deletes what the window has forgotten; returns how many entries went. */
  prune(now: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The wait after the `count`th counted attempt: none while attempts are free, then the base,
 * doubling with each attempt up to the maximum. The Redis store's script computes the same.
 */
export function backoffAfter(count: number, freeAttempts: number, timing: ThrottleTiming): number {
  if (count < freeAttempts) return 0;
  return Math.min(timing.backoffMax, timing.backoffBase * 2 ** (count - freeAttempts));
}
