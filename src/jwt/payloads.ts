import { TOKEN_AUTHORIZATION, TOKEN_SESSION, type UnsignedPayload } from './claims.js';

/** The parts of a session that the payload factories read. */
export interface SessionLike {
  id: string;
  clientId: string;
}

/** The parts of a user that the payload factories read. */
export interface UserLike {
  id: string | number;
  email?: string | null;
}

/** What the built-in payload factories read of their input (a `PayloadInput` is one). */
export interface PayloadSource {
  sessionToken: SessionLike;
  user: UserLike;
}

function baseClaims({ sessionToken, user }: PayloadSource) {
  return {
    sid: sessionToken.id,
    ...(sessionToken.clientId ? { cid: sessionToken.clientId } : {}),
    uid: typeof user.id === 'number' ? user.id : String(user.id),
    email: user.email ?? null,
  };
}

/** The built-in session payload: who and which session, no permissions. */
export function createSessionPayload(input: PayloadSource): UnsignedPayload {
  return { token: TOKEN_SESSION, ...baseClaims(input) };
}

/**
 * The built-in authorization payload. Replace it (setting `createAuthorizationPayload`) to add
 * claims such as `account` or `scopes`; spread this one's result to keep the standard claims.
 */
export function createAuthorizationPayload(input: PayloadSource): UnsignedPayload {
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
