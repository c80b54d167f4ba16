import type { GraphQLError } from 'graphql';
import { AuthenticationError, ForbiddenError } from '../../../errors.js';
import { toGraphQLError } from '../../graphql-errors.js';
import type { NameSets } from './requirements.js';

/**
 * How a denial is delivered: as a field error (no HTTP status: the response stays 200 with
 * partial data), or as the refusal of the whole request (`extensions.http`: 401 / 403).
 */
export interface Refusal {
  refuseRequest: boolean;
  scheme?: string;
}

const FIELD_ERROR: Refusal = { refuseRequest: false };

function formatSets(sets: NameSets): string {
  return sets.map((set) => `[${set.join(', ')}]`).join(', ');
}

/** `UNAUTHENTICATED`: `Field "Query.account" requires authentication`. */
export function unauthenticated(subject: string, refusal: Refusal = FIELD_ERROR): GraphQLError {
  return toGraphQLError(new AuthenticationError('NOT_AUTHENTICATED', `${subject} requires authentication`), refusal);
}

/** `FORBIDDEN`: `Field "Account.balance" requires one of the scope sets [accounts:read-balance]`. */
export function missingScopes(subject: string, sets: NameSets, refusal: Refusal = FIELD_ERROR): GraphQLError {
  return toGraphQLError(new ForbiddenError(`${subject} requires one of the scope sets ${formatSets(sets)}`), refusal);
}

/** `FORBIDDEN`: `Field "Query.account" requires policy "account-member"` (or one of several sets). */
export function deniedByPolicy(subject: string, sets: NameSets): GraphQLError {
  const only = sets.length === 1 && sets[0].length === 1 ? sets[0][0] : undefined;
  const message =
    only !== undefined ? `${subject} requires policy "${only}"` : `${subject} requires one of the policy sets ${formatSets(sets)}`;
  return toGraphQLError(new ForbiddenError(message), FIELD_ERROR);
}
