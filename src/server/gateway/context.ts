import type { IncomingMessage } from 'node:http';

/** The gateway's GraphQL context: what it forwards to the subgraphs. */
export interface GatewayContext {
  /** The incoming `Authorization` header, verbatim; `null` when there is none. */
  authorization: string | null;
}

/**
 * A context function for the gateway's Apollo Server (`startStandaloneServer(server, { context:
 * gatewayContext })`, or any handler that has the `IncomingMessage`). It copies the
 * `Authorization` header without reading it: the subgraphs verify the token, so a gateway needs
 * no keys and cannot disagree with them about what is valid.
 */
export async function gatewayContext({ req }: { req: IncomingMessage }): Promise<GatewayContext> {
  const value = req.headers.authorization;
  return { authorization: typeof value === 'string' && value.length > 0 ? value : null };
}
