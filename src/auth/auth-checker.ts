import type { AuthCheckerFn } from 'type-graphql';
import { AuthenticationError, ForbiddenError } from '../errors.js';
import type { SsoContext } from './context.js';
import { defaultExtractScopes } from './directives/defaults.js';
import { toGraphQLError } from './graphql-errors.js';

/**
 * type-graphql `authChecker`: `@Authorized()` requires a verified token whose user is accepted;
 * `@Authorized('a', 'b')` also requires one of those names in the token's `scopes` claim, or in its
 * space-separated `scope` claim.
 */
export const ssoAuthChecker: AuthCheckerFn<SsoContext> = async ({ context }, scopes) => {
  if (!context.auth) {
    throw toGraphQLError(new AuthenticationError('NOT_AUTHENTICATED', 'You must be logged in to do this.'));
  }
  // The token's user is part of being authenticated: a refused one (e.g. deactivated) passes nothing.
  await Promise.resolve(context.user).catch((error: unknown) => {
    throw toGraphQLError(error);
  });
  if (scopes.length === 0) return true;
  const granted = defaultExtractScopes(context.auth);
  if (scopes.some((scope) => granted.includes(scope))) return true;
  throw toGraphQLError(new ForbiddenError(`This requires the scope ${scopes.map((s) => `"${s}"`).join(' or ')}.`));
};
