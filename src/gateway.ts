/**
 * `graphql-sso/gateway`: helpers for an `@apollo/gateway` in front of graphql-sso subgraphs, and
 * supergraph composition. `@apollo/gateway` and `@apollo/composition` are optional peer
 * dependencies, loaded here so that a missing one is a `MissingPackageError` naming the install
 * command. The names below are those of `./server/gateway/index.ts`.
 */
import { importFeature } from './lib/optional-packages.js';

type Gateway = typeof import('./server/gateway/index.js');

const gateway: Gateway = await importFeature('graphql-sso/gateway', () => import('./server/gateway/index.js'));

export const {
  supergraphForGateway,
  composeSupergraph,
  CompositionError,
  SsoSupergraphManager,
  SsoGraphQLDataSource,
  defaultGetAuthorization,
  buildSsoService,
  gatewayContext,
} = gateway;

// Classes are types too: the same names in the type space.
export type CompositionError = import('./server/gateway/index.js').CompositionError;
export type SsoSupergraphManager = import('./server/gateway/index.js').SsoSupergraphManager;
export type SsoGraphQLDataSource<TContext extends Record<string, any> = import('./server/gateway/index.js').GatewayContext> =
  import('./server/gateway/index.js').SsoGraphQLDataSource<TContext>;

export type {
  ComposeSupergraphOptions,
  SubgraphDefinition,
  SsoSupergraphManagerOptions,
  SsoGraphQLDataSourceOptions,
  GatewayContext,
  SubgraphEndpoint,
} from './server/gateway/index.js';
