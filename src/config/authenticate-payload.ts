import type { AuthenticateContext } from './settings.js';
import type { TokenPayload } from '../jwt/claims.js';

/**
 * The built-in `authenticatePayload`. In the identity service it checks the session row (when
 * `verifySessionToken`) or the user row, and refuses inactive users. Elsewhere (a subgraph with no
 * user table) it trusts the verified claims: the user is `{ id: uid, email }`, returned as it is
 * rather than in a promise, so that fields guarded by policies need not wait for it.
 */
export function authenticatePayload(payload: TokenPayload, context: AuthenticateContext): unknown {
  const { sessions } = context;
  if (sessions)
    return sessions.authenticateNow ? sessions.authenticateNow(payload, context.request) : sessions.authenticate(payload, context.request);
  return { id: payload.uid, email: payload.email ?? null };
}
