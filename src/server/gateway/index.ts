export { supergraphForGateway } from './supergraph-for-gateway.js';
export { composeSupergraph, type ComposeSupergraphOptions, type SubgraphDefinition } from './compose-supergraph.js';
export { CompositionError } from './errors.js';
export { SsoSupergraphManager, type SsoSupergraphManagerOptions } from './supergraph-manager.js';
export { SsoGraphQLDataSource, defaultGetAuthorization, type SsoGraphQLDataSourceOptions } from './data-source.js';
export { buildSsoService } from './build-service.js';
export { gatewayContext, type GatewayContext } from './context.js';
export type { SubgraphEndpoint } from './types.js';
