import * as v from 'valibot';
import { plainObject, positiveSeconds, wholeNumber } from './values.js';

const AT_LEAST_BASE = 'must be a number of seconds, at least backoff.base';
const AT_LEAST_MAX = 'must be a number of seconds, at least backoff.max';

const BACKOFF_ENTRIES = {
  base: v.optional(positiveSeconds, 1),
  max: v.optional(v.pipe(v.number(AT_LEAST_BASE), v.finite(AT_LEAST_BASE)), 900),
};

const THROTTLE_ENTRIES = {
  /** Failed attempts a username gets before the back-off starts. */
  usernameAttempts: v.optional(wholeNumber('attempts', 1), 5),
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
    'must be null or an object { usernameAttempts, ipAttempts, backoff: { base, max }, window }',
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
