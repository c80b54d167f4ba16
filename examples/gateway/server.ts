import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { Logger } from 'pino';
import { buildSsoService, gatewayContext, SsoSupergraphManager, type GatewayContext, type SubgraphEndpoint } from 'graphql-sso/gateway';

export interface GatewayOptions {
  port: number;
  host?: string;
  subgraphs: SubgraphEndpoint[];
  logger: Logger;
  /** Re-read the subgraphs' schemas this often (ms); 0: only at start-up. */
  pollIntervalMs?: number;
}

export interface Gateway {
  url: string;
  manager: SsoSupergraphManager;
  close(): Promise<void>;
}

/**
 * `@apollo/gateway` composing the subgraphs. It holds no keys and checks no token: it forwards
 * `Authorization` and who the client is (`X-Forwarded-For` with the client's address appended,
 * `User-Agent`), and the subgraphs enforce `@authenticated`, `@requiresScopes` and `@policy`.
 * `main.ts` runs it in a process of its own.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const manager = new SsoSupergraphManager({
    subgraphs: options.subgraphs,
    pollIntervalMs: options.pollIntervalMs,
    logger: options.logger,
  });
  const gateway = new ApolloGateway({ supergraphSdl: manager, buildService: buildSsoService(), logger: options.logger });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: options.logger,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
  });
  const { url } = await startStandaloneServer(apollo, { context: gatewayContext, listen: { port: options.port, host: options.host } });
  return { url: new URL('/graphql', url).toString(), manager, close: () => apollo.stop() };
}
