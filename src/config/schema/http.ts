import * as v from 'valibot';
import { compileTrustProxy, type TrustProxy } from '../../lib/trusted-proxies.js';

const TRUST_PROXY =
  'must be false, true, a number of proxy hops (0 or more), or the addresses and CIDR ranges of the proxies to trust ("10.0.0.0/8", a list, or loopback / linklocal / uniquelocal)';

function trustProxyIssue(value: unknown): string | null {
  const shaped =
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    typeof value === 'string' ||
    (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string'));
  if (!shaped) return TRUST_PROXY;
  try {
    compileTrustProxy(value as TrustProxy);
    return null;
  } catch (error) {
    return `${TRUST_PROXY}: ${(error as Error).message}`;
  }
}

/**
 * `trustProxy`: the peers whose `X-Forwarded-For` is believed, compiled by proxy-addr's rules
 * (checked here, so that a bad address stops start-up).
 */
export const trustProxy = v.custom<TrustProxy>(
  (value) => trustProxyIssue(value) === null,
  (issue) => trustProxyIssue(issue.input)!,
);

const ORIGIN = 'must be a list of origins such as "https://app.example.com" (scheme, host and port only)';

function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * A list of origins (`trustedOrigins`, `corsOrigins`): scheme, host and port, no path. An entry
 * is named by its index.
 */
export const origins = v.pipe(v.array(v.custom<string>(isOrigin, ORIGIN), ORIGIN));
