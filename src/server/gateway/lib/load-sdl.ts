import { SERVICE_DEFINITION_QUERY, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ServiceUnavailableError } from '../../../errors.js';
import type { SubgraphEndpoint } from '../types.js';

/**
 * `GraphQLDataSourceRequestKind.LOADING_SCHEMA`: @apollo/gateway's entry point exports the type
 * of `kind` but not the enum, so its (stable, string) value is spelled out here.
 */
const LOADING_SCHEMA = 'loading schema' as GraphQLDataSourceProcessOptions['kind'];

/**
 * A subgraph's SDL from `_service { sdl }`, fetched through the gateway's own data source (what
 * `buildService` made for it), exactly as `IntrospectAndCompose` does, so that schema loading
 * and queries share one transport. Throws `ServiceUnavailableError` naming the subgraph.
 */
export async function loadSubgraphSdl(
  dataSource: GraphQLDataSource,
  { name, url }: SubgraphEndpoint,
  headers: Record<string, string>,
): Promise<string> {
  const failed = (reason: string, cause?: unknown) =>
    new ServiceUnavailableError(`Could not load the schema of subgraph "${name}" at ${url}: ${reason}`, { cause });
  let response: Awaited<ReturnType<GraphQLDataSource['process']>>;
  try {
    response = await dataSource.process({
      kind: LOADING_SCHEMA,
      request: { query: SERVICE_DEFINITION_QUERY, http: { url, method: 'POST', headers: new Headers(headers) } },
      context: {},
    } as GraphQLDataSourceProcessOptions);
  } catch (error) {
    throw failed(error instanceof Error ? error.message : String(error), error);
  }
  if (response.errors?.length) throw failed(response.errors.map((e) => e.message).join('; '));
  const sdl: unknown = (response.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  if (typeof sdl !== 'string') throw failed('the response has no `_service { sdl }`; is it a federation subgraph?');
  return sdl;
}
