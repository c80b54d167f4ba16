/** What `graphql-sso/gateway` names (`src/gateway.ts` loads it): helpers for an `@apollo/gateway` in front of graphql-sso subgraphs. */
export { supergraphForGateway } from './server/gateway/supergraph-for-gateway.js';
export { composeSupergraph, type ComposeSupergraphOptions, type SubgraphDefinition } from './server/gateway/compose-supergraph.js';
export { CompositionError } from './server/gateway/errors.js';
export { SsoSupergraphManager, type SsoSupergraphManagerOptions } from './server/gateway/supergraph-manager.js';
export {
  SsoGraphQLDataSource,
  defaultGetAuthorization,
  defaultGetClientHeaders,
  type SsoGraphQLDataSourceOptions,
} from './server/gateway/data-source.js';
export { buildSsoService } from './server/gateway/build-service.js';
export { gatewayContext, type GatewayContext } from './server/gateway/context.js';
export type { SubgraphEndpoint } from './server/gateway/types.js';
