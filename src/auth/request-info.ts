import type { IncomingMessage } from 'node:http';
import type { RequestInfo } from '../config/settings.js';
import { RequestError } from '../errors.js';
import { forwardingChain, isAddress, MAX_ADDRESS_LENGTH, plainAddress, type TrustFunction } from '../lib/trusted-proxies.js';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Longest user agent recorded; the rest is cut off. */
const MAX_USER_AGENT_LENGTH = 1000;

function refuseForwardedFor(entry: string): never {
  const why =
    entry.length > MAX_ADDRESS_LENGTH
      ? `an entry longer than an IP address can be (${MAX_ADDRESS_LENGTH} characters)`
      : `${JSON.stringify(entry)}, which is not an IP address`;
  throw new RequestError('REQUEST_INVALID', `X-Forwarded-For from a trusted proxy holds ${why} (setting trustProxy).`);
}

/**
 * The client's address and user agent. The address is the socket's peer unless that peer is a
 * trusted proxy (`trust`, compiled from `trustProxy`): then `X-Forwarded-For` is read from the
 * right, each trusted proxy passing the word to the address before it, and the client is the
 * first address that is not trusted (or the leftmost), as proxy-addr decides: entries a client
 * wrote itself, left of it, are never read. Every entry read must be an IP address (IPv4 or IPv6,
 * no port): anything else refuses the request with `REQUEST_INVALID` (HTTP 400) rather than
 * record a client that cannot be told apart or throttled. The user agent is `User-Agent`, which
 * the gateway helpers pass on from the client (cut to 1,000 characters).
 */
export function requestInfo(req: IncomingMessage, trust: TrustFunction): RequestInfo {
  const userAgent = (firstHeader(req.headers['user-agent']) ?? '').slice(0, MAX_USER_AGENT_LENGTH);
  const peer = req.socket?.remoteAddress;
  if (!peer) return { ip: null, userAgent };
  if (!trust(peer, 0) || req.headers['x-forwarded-for'] === undefined) return { ip: plainAddress(peer), userAgent };
  const chain = forwardingChain(req);
  let hop = 0;
  while (hop < chain.length - 1 && trust(chain[hop]!, hop)) {
    hop += 1;
    if (!isAddress(chain[hop]!)) refuseForwardedFor(chain[hop]!);
  }
  return { ip: plainAddress(chain[hop]!), userAgent };
}
