import type { AuthenticateContext } from '../config/settings.js';
import type { TokenPayload } from '../jwt/claims.js';

/**
 * The built-in `authenticatePayload`. In the identity service it checks the session row (when
 * `verifySessionToken`) or the user row, and refuses inactive users. Elsewhere (a subgraph with no
 * user table) it trusts the verified claims: the user is `{ id: uid, email }`.
 */
export async function authenticatePayload(payload: TokenPayload, context: AuthenticateContext): Promise<unknown> {
  if (context.sessions) return context.sessions.authenticate(payload, context.request);
  return userFromClaims(payload);
}

/** The user as the verified claims describe it, for a service with no user table of its own. */
export function userFromClaims(payload: TokenPayload): { id: string | number; email: string | null } {
  return { id: payload.uid, email: payload.email ?? null };
}
