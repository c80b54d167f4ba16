/**
 * `graphql-sso/gateway`: helpers for an `@apollo/gateway` in front of graphql-sso subgraphs, and
 * supergraph composition. `@apollo/gateway` and `@apollo/composition` are optional peer
 * dependencies, loaded here so that a missing one is a `MissingPackageError` naming the install
 * command. The names below are those of `./gateway-exports.ts`.
 */
import { importFeature } from './lib/optional-packages.js';

type Gateway = typeof import('./gateway-exports.js');

const gateway: Gateway = await importFeature('graphql-sso/gateway', () => import('./gateway-exports.js'));

export const {
  supergraphForGateway,
  composeSupergraph,
  CompositionError,
  SsoSupergraphManager,
  SsoGraphQLDataSource,
  defaultGetAuthorization,
  defaultGetClientHeaders,
  buildSsoService,
  gatewayContext,
} = gateway;

// Classes are types too: the same names in the type space.
export type CompositionError = import('./gateway-exports.js').CompositionError;
export type SsoSupergraphManager = import('./gateway-exports.js').SsoSupergraphManager;
export type SsoGraphQLDataSource<TContext extends Record<string, any> = import('./gateway-exports.js').GatewayContext> =
  import('./gateway-exports.js').SsoGraphQLDataSource<TContext>;

export type {
  ComposeSupergraphOptions,
  SubgraphDefinition,
  SsoSupergraphManagerOptions,
  SsoGraphQLDataSourceOptions,
  GatewayContext,
  SubgraphEndpoint,
} from './gateway-exports.js';
