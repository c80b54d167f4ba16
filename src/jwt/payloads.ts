import type { PayloadInput } from '../config/settings.js';
import { TOKEN_AUTHORIZATION, TOKEN_SESSION, type UnsignedPayload } from './claims.js';

function baseClaims({ sessionToken, user }: PayloadInput<unknown>) {
  return {
    sid: sessionToken.id,
    ...(sessionToken.clientId ? { cid: sessionToken.clientId } : {}),
    uid: typeof user.id === 'number' ? user.id : String(user.id),
    email: user.email ?? null,
  };
}

/** The built-in session payload: who and which session, no permissions. */
export function createSessionPayload(input: PayloadInput<unknown>): UnsignedPayload {
  return { token: TOKEN_SESSION, ...baseClaims(input) };
}

/**
 * The built-in authorization payload. Replace it (setting `createAuthorizationPayload`) to add
 * claims such as `account` or `scopes`; spread this one's result to keep the standard claims.
 */
export function createAuthorizationPayload(input: PayloadInput<unknown>): UnsignedPayload {
  return { token: TOKEN_AUTHORIZATION, ...baseClaims(input) };
}

/**
 * `scopes` also as `scope`, space-separated (RFC 8693's and OAuth's spelling, which Apollo Router
 * and Hive Gateway read), unless the payload sets `scope` itself. Applied to every authorization
 * payload, whatever `createAuthorizationPayload` returned.
 */
export function withScopeClaim(payload: UnsignedPayload): UnsignedPayload {
  if (!Array.isArray(payload.scopes) || payload.scope !== undefined) return payload;
  return { ...payload, scope: payload.scopes.join(' ') };
}
