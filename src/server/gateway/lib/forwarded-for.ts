import type { IncomingMessage } from 'node:http';
import { plainAddress } from '../../../lib/trusted-proxies.js';

/**
 * The address of the peer that connected to this gateway, as proxies write it in
 * `X-Forwarded-For`: an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what Node reports on a
 * dual-stack socket) as plain IPv4, the way the identity service records a direct client.
 */
export function peerAddress(req: IncomingMessage): string | null {
  const address = req.socket?.remoteAddress;
  return address ? plainAddress(address) : null;
}

/**
 * The `X-Forwarded-For` to send to the next hop: the incoming value (the hops before this one,
 * as they claim) with the address of the peer that connected here appended — what nginx's
 * `$proxy_add_x_forwarded_for` and every other proxy do. A service that trusts this gateway
 * then takes the rightmost address it does not trust as the client, so a client cannot pass
 * itself off as someone else by sending the header. `null` when there is nothing to send.
 */
export function forwardedFor(incoming: string | string[] | undefined, peer: string | null): string | null {
  const before = (Array.isArray(incoming) ? incoming.join(', ') : (incoming ?? '')).trim();
  if (!peer) return before.length > 0 ? before : null;
  return before.length > 0 ? `${before}, ${peer}` : peer;
}
