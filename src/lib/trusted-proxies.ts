import { isIP } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';

/**
 * Which peers may tell the client's address (`trustProxy`): none (`false`), every one (`true`),
 * the nearest `n` hops (a number), or the proxies at these addresses and CIDR ranges (a string,
 * comma-separated, or a list; `loopback`, `linklocal` and `uniquelocal` name their ranges), as
 * Express and Fastify take it.
 */
export type TrustProxy = boolean | number | string | readonly string[];

/** Whether the address at `hop` (0: the socket's peer, 1: the rightmost `X-Forwarded-For` entry, …) is a trusted proxy. */
export type TrustFunction = (address: string, hop: number) => boolean;

/** The longest text an IP address can be (an IPv4-mapped IPv6 address). */
export const MAX_ADDRESS_LENGTH = 45;

const trustNone: TrustFunction = () => false;
const trustAll: TrustFunction = () => true;

/** The addresses and ranges of a `trustProxy` string or list; `[]` for booleans and hop counts. */
function listed(value: TrustProxy): string[] {
  if (typeof value === 'string') return value.split(',').map((entry) => entry.trim());
  if (Array.isArray(value)) return value.map((entry) => String(entry).trim());
  return [];
}

/**
 * `trustProxy` as a function of an address and its hop, compiled once (proxy-addr's rules: an
 * address trusted when it falls in a listed range; a hop count trusts the nearest hops whatever
 * their address). Throws a `TypeError` naming the entry for an address or range that is not one.
 */
export function compileTrustProxy(value: TrustProxy): TrustFunction {
  if (value === false) return trustNone;
  if (value === true) return trustAll;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  const entries = listed(value);
  if (entries.length === 0 || entries.some((entry) => entry.length === 0)) throw new TypeError('an entry is empty');
  return proxyAddr.compile(entries);
}

/** An address as written in `X-Forwarded-For` is one when Node reads it as IPv4 or IPv6, nothing longer. */
export function isAddress(address: string): boolean {
  return address.length <= MAX_ADDRESS_LENGTH && isIP(address) !== 0;
}

/** The client's address: an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) written as IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The peers a request passed, nearest first: the socket's peer, then `X-Forwarded-For` from right
 * to left (proxy-addr's reading of the header, repeated headers joined).
 */
export function forwardingChain(req: Parameters<typeof proxyAddr.all>[0]): string[] {
  return proxyAddr.all(req);
}
