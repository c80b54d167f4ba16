import * as v from 'valibot';
import { plainObject, positiveSeconds, wholeNumber } from './values.js';

const AT_LEAST_BASE = 'must be a number of seconds, at least backoff.base';
const AT_LEAST_MAX = 'must be a number of seconds, at least backoff.max';

const BACKOFF_ENTRIES = {
  base: v.optional(positiveSeconds, 1),
  max: v.optional(v.pipe(v.number(AT_LEAST_BASE), v.finite(AT_LEAST_BASE)), 900),
};

/**
 * The most failed attempts one client address can make for one username within a `window`: its
 * free attempts, then one per back-off (which doubles from `base` up to `max`).
 */
function attemptsWithinWindow(freeAttempts: number, backoff: { base: number; max: number }, window: number): number {
  let count = freeAttempts;
  let at = 0;
  if (!(backoff.base > 0 && backoff.max >= backoff.base && window >= 0)) return count;
  for (;;) {
    const wait = Math.min(backoff.max, backoff.base * 2 ** (count - freeAttempts));
    if (wait >= backoff.max) break;
    at += wait;
    if (at >= window) return count;
    count += 1;
  }
  // From `at` on, one attempt every `max`.
  return count + Math.max(0, Math.ceil((window - at) / backoff.max) - 1);
}

const THROTTLE_ENTRIES = {
  /** Failed attempts a username gets from one client address before the back-off starts. */
  usernameAttempts: v.optional(wholeNumber('attempts', 1), 5),
  /**
   * Failed attempts a username gets from all addresses together within a window (counted from
   * the first), before the back-off starts for everyone: guesses spread over many addresses.
   * Must exceed what one address can make in a window, so that one alone never locks a user out.
   * `null` (default): 10 × `usernameAttempts`, and at least twice what one address can make.
   */
  usernameTotalAttempts: v.optional(v.nullable(wholeNumber('attempts', 1, '; null for the default')), null),
  /** Failed attempts a client address gets before the back-off starts (more: many users share one behind NAT). */
  ipAttempts: v.optional(wholeNumber('attempts', 1), 100),
  /** The wait after the last free attempt, doubling with each further attempt up to `max`. */
  backoff: v.optional(
    plainObject(
      v.strictObject(BACKOFF_ENTRIES, `unknown option (options: ${Object.keys(BACKOFF_ENTRIES).join(', ')})`),
      'must be an object { base, max } of seconds',
    ),
    {},
  ),
  /** A count untouched this long is forgotten (at least `backoff.max`). */
  window: v.optional(v.pipe(v.number(AT_LEAST_MAX), v.finite(AT_LEAST_MAX)), 3600),
};

const LOGIN_THROTTLE = v.pipe(
  plainObject(
    v.strictObject(THROTTLE_ENTRIES, `unknown option (options: ${Object.keys(THROTTLE_ENTRIES).join(', ')})`),
    'must be null or an object { usernameAttempts, usernameTotalAttempts, ipAttempts, backoff: { base, max }, window }',
  ),
  v.forward(
    v.partialCheck(
      [
        ['backoff', 'base'],
        ['backoff', 'max'],
      ],
      ({ backoff }) => backoff.max >= backoff.base,
      AT_LEAST_BASE,
    ),
    ['backoff', 'max'],
  ),
  v.forward(
    v.partialCheck([['backoff', 'max'], ['window']], ({ backoff, window }) => window >= backoff.max, AT_LEAST_MAX),
    ['window'],
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    // Only limits that passed their own checks (a NaN or a base above max says nothing here).
    if (!dataset.typed || dataset.issues) return;
    const { usernameAttempts, usernameTotalAttempts, backoff, window } = dataset.value;
    const oneAddress = attemptsWithinWindow(usernameAttempts, backoff, window);
    if (usernameTotalAttempts === null || usernameTotalAttempts > oneAddress) return;
    addIssue({
      message: `must be more than the ${oneAddress} failed attempts one address can make for one username within window (usernameAttempts, then one per back-off), so that one address never locks a user out: raise it, or lower usernameAttempts`,
      path: [
        {
          type: 'object',
          origin: 'value',
          input: dataset.value as Record<string, unknown>,
          key: 'usernameTotalAttempts',
          value: usernameTotalAttempts,
        },
      ],
    });
  }),
  v.transform((limits) => ({
    ...limits,
    usernameTotalAttempts:
      limits.usernameTotalAttempts ??
      Math.max(10 * limits.usernameAttempts, 2 * attemptsWithinWindow(limits.usernameAttempts, limits.backoff, limits.window) + 1),
  })),
);

type LoginThrottle = typeof LOGIN_THROTTLE;

/** The type of the `loginThrottle` schema, named for the same reason as `LimitsSchema`. */
export interface LoginThrottleSchema extends LoginThrottle {}

/**
 * `loginThrottle` (times in seconds): what a config leaves out comes from the defaults, and the
 * back-off must fit its bounds (`base` ≤ `max` ≤ `window`), each refusal named by its path
 * (`loginThrottle.backoff.max`).
 */
export const loginThrottle: LoginThrottleSchema = LOGIN_THROTTLE;
