import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The statuses of a whole-request refusal for authentication / permission reasons. */
const REFUSAL_STATUSES = new Set([401, 403]);

function isFormattedError(value: unknown): value is GraphQLFormattedError {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** The `errors` of a GraphQL response body, or an empty list when the body is not one. */
export function graphQLErrorsOf(body: unknown): GraphQLFormattedError[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.every(isFormattedError) ? errors : [];
}

/**
 * A subgraph answered a non-2xx status with a GraphQL body — e.g. graphql-sso's 401
 * `UNAUTHENTICATED` for an invalid token, or 403 `FORBIDDEN` from `authDirectivesPlugin`. Thrown
 * from `errorFromResponse` (which must return a `GraphQLError`) and caught again in `process`,
 * which hands the subgraph's own errors to the gateway instead of a generic "401: Unauthorized".
 */
export class SubgraphErrorResponse extends GraphQLError {
  constructor(
    readonly status: number,
    readonly errors: readonly GraphQLFormattedError[],
    /** The subgraph's `WWW-Authenticate` header, if any. */
    readonly challenge: string | null,
  ) {
    super(errors[0]!.message, { extensions: { ...errors[0]!.extensions } });
  }

  /**
   * The errors as the gateway should see them, in a subgraph response. With `forwardStatus`, a
   * 401/403 (and the challenge of a 401) ride along as `extensions.http`, which the gateway's
   * Apollo Server turns into its own response status and headers, then removes from the body.
   */
  toResponseErrors(forwardStatus: boolean): GraphQLFormattedError[] {
    if (!forwardStatus || !REFUSAL_STATUSES.has(this.status)) return [...this.errors];
    const headers = new HeaderMap();
    if (this.status === 401 && this.challenge) headers.set('www-authenticate', this.challenge);
    return this.errors.map((error) => ({ ...error, extensions: { ...error.extensions, http: { status: this.status, headers } } }));
  }
}
