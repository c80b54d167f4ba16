import { AuthenticationError, ForbiddenError } from '../../errors.js';
import { SCOPES } from '../../jwt/claims.js';
import type { IdentityContext } from '../components.js';

/**
 * `User.__resolveReference`: federation's `_entities` resolves a user for that user's own token,
 * or a token with `adminScope`, and for nobody else: an anonymous caller is `UNAUTHENTICATED`,
 * another user `FORBIDDEN`, and neither learns whether the id exists. A query another subgraph
 * needs through the gateway carries the caller's token (the gateway forwards `Authorization`).
 */
export async function resolveUserReference(reference: { id: string }, { auth, services }: IdentityContext) {
  if (!auth) {
    throw new AuthenticationError('NOT_AUTHENTICATED', 'A User entity resolves only for a token of that user or one with the admin scope.');
  }
  const { adminScope } = services.settings;
  const scopes = Array.isArray(auth[SCOPES]) ? (auth[SCOPES] as unknown[]) : [];
  const admin = adminScope !== null && scopes.includes(adminScope);
  if (!admin && String(auth.uid) !== String(reference.id)) {
    throw new ForbiddenError('A User entity resolves only for that user or a token with the admin scope (setting adminScope).');
  }
  return services.users.findById(reference.id);
}
