import type { IncomingMessage } from 'node:http';
import { forwardedFor, peerAddress } from './lib/forwarded-for.js';

/** The gateway's GraphQL context: what it forwards to the subgraphs. */
export interface GatewayContext {
  /** The incoming `Authorization` header, verbatim; `null` when there is none. */
  authorization: string | null;
  /**
   * `X-Forwarded-For` for the subgraphs: the incoming value with the client's socket address
   * appended (see `forwardedFor`); `null` only when neither is known.
   */
  forwardedFor: string | null;
  /** The client's `User-Agent`, verbatim; `null` when it sent none. */
  userAgent: string | null;
}

function header(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.length > 0 ? first : null;
}

/**
 * A context function for the gateway's Apollo Server (`startStandaloneServer(server, { context:
 * gatewayContext })`, or any handler that has the `IncomingMessage`). It copies the
 * `Authorization` header without reading it: the subgraphs verify the token, so a gateway needs
 * no keys and cannot disagree with them about what is valid. It also keeps who the client is —
 * its address, appended to `X-Forwarded-For` as a proxy does, and its user agent — because
 * otherwise every subgraph, the identity service included, would see every request coming from
 * the gateway: one session per user across devices, one login throttle for the whole world.
 */
export async function gatewayContext({ req }: { req: IncomingMessage }): Promise<GatewayContext> {
  return {
    authorization: header(req.headers.authorization),
    forwardedFor: forwardedFor(req.headers['x-forwarded-for'], peerAddress(req)),
    userAgent: header(req.headers['user-agent']),
  };
}
