import type { ServiceEndpointDefinition } from '@apollo/gateway';
import { SettingsError } from '../../errors.js';
import type { GatewayContext } from './context.js';
import { SsoGraphQLDataSource, type SsoGraphQLDataSourceOptions } from './data-source.js';

/**
 * The gateway's `buildService` option: an `SsoGraphQLDataSource` for each subgraph of the
 * supergraph, so every fetch forwards the client's `Authorization` header, address
 * (`X-Forwarded-For`) and `User-Agent`, and every subgraph refusal keeps its code. Options apply
 * to all subgraphs.
 */
export function buildSsoService<TContext extends Record<string, any> = GatewayContext>(
  options: Omit<SsoGraphQLDataSourceOptions<TContext>, 'url'> = {},
): (definition: ServiceEndpointDefinition) => SsoGraphQLDataSource<TContext> {
  return ({ name, url }) => {
    if (!url) throw new SettingsError('subgraphs', `Subgraph "${name}" has no URL.`);
    return new SsoGraphQLDataSource<TContext>({ ...options, url });
  };
}
