import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';
import { SubgraphErrorResponse, graphQLErrorsOf } from './lib/subgraph-refusal.js';

type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type GatewayResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

export interface SsoGraphQLDataSourceOptions<TContext extends Record<string, any> = GatewayContext> {
  /** The subgraph's GraphQL endpoint. */
  url: string;
  /**
   * The `Authorization` header to send for an incoming operation, or `null` for none.
   * Default: `defaultGetAuthorization` (`context.authorization`, as `gatewayContext` sets it).
   */
  getAuthorization?: (context: TContext) => string | null | undefined;
  /**
   * Who the client is, as headers for the subgraph (`x-forwarded-for`, `user-agent`), or `{}`
   * to send none. Default: `defaultGetClientHeaders` (from `gatewayContext`'s `forwardedFor` and
   * `userAgent`).
   */
  getClientHeaders?: (context: TContext) => Record<string, string>;
  /**
   * Whether a subgraph's 401 or 403 becomes the gateway's HTTP status (and a 401's
   * `WWW-Authenticate` its header). Default `true`. The errors and their codes are forwarded
   * either way.
   */
  forwardStatus?: boolean;
}

/** Default `getAuthorization`: `context.authorization` when it is a non-empty string. */
export function defaultGetAuthorization(context: Record<string, any>): string | null {
  const value: unknown = context.authorization;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * Default `getClientHeaders`: `x-forwarded-for` from `context.forwardedFor` and `user-agent` from
 * `context.userAgent`. A client without a user agent is sent an empty one, so that the subgraph
 * records none rather than the gateway's HTTP client's.
 */
export function defaultGetClientHeaders(context: Record<string, any>): Record<string, string> {
  const headers: Record<string, string> = {};
  const forwardedFor: unknown = context.forwardedFor;
  if (typeof forwardedFor === 'string' && forwardedFor.length > 0) headers['x-forwarded-for'] = forwardedFor;
  const userAgent: unknown = context.userAgent;
  headers['user-agent'] = typeof userAgent === 'string' ? userAgent : '';
  return headers;
}

/**
 * The gateway's connection to one subgraph (`buildService`), for subgraphs that authenticate
 * requests themselves:
 *
 * - every incoming operation's fetches carry the client's `Authorization` header, so each
 *   subgraph verifies the token and enforces its own directives, and the client's address
 *   (`X-Forwarded-For`) and `User-Agent`, so that the identity service can tell clients apart
 *   (it believes them only from proxies it is told to trust); schema loading and health checks
 *   carry none of these;
 * - a subgraph that refuses the whole request (a non-2xx status with a GraphQL body, such as
 *   graphql-sso's 401 `UNAUTHENTICATED` or 403 `FORBIDDEN`) reaches the client with its own
 *   messages and `extensions.code` — `RemoteGraphQLDataSource` alone would answer
 *   "401: Unauthorized" and expose the subgraph's URL and raw body in `extensions.response` —
 *   and, unless `forwardStatus: false`, with its 401/403 as the gateway's HTTP status. When two
 *   subgraphs refuse with different statuses, the error listed last sets it.
 *
 * A non-2xx answer without a GraphQL body is left to `RemoteGraphQLDataSource`.
 */
export class SsoGraphQLDataSource<TContext extends Record<string, any> = GatewayContext> extends RemoteGraphQLDataSource<TContext> {
  private readonly getAuthorization: (context: TContext) => string | null | undefined;
  private readonly getClientHeaders: (context: TContext) => Record<string, string>;
  private readonly forwardStatus: boolean;

  constructor(options: SsoGraphQLDataSourceOptions<TContext>) {
    super({ url: options.url });
    this.getAuthorization = options.getAuthorization ?? defaultGetAuthorization;
    this.getClientHeaders = options.getClientHeaders ?? defaultGetClientHeaders;
    this.forwardStatus = options.forwardStatus ?? true;
  }

  override async process(options: GraphQLDataSourceProcessOptions<TContext>): Promise<GatewayResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      if (error instanceof SubgraphErrorResponse) return { errors: error.toResponseErrors(this.forwardStatus) };
      throw error;
    }
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<TContext>): void {
    // Only incoming operations have a client whose header to forward.
    if (!('incomingRequestContext' in options)) return;
    const headers = options.request.http?.headers;
    if (!headers) return;
    for (const [name, value] of Object.entries(this.getClientHeaders(options.context))) headers.set(name, value);
    const authorization = this.getAuthorization(options.context);
    if (authorization) headers.set('authorization', authorization);
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    let body: unknown;
    try {
      body = await this.parseBody(response.clone());
    } catch {
      body = undefined;
    }
    const errors = graphQLErrorsOf(body);
    if (errors.length === 0) return super.errorFromResponse(response);
    return new SubgraphErrorResponse(response.status, errors, response.headers.get('www-authenticate'));
  }
}
