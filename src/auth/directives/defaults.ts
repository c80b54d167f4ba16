import { SCOPES } from '../../jwt/claims.js';
import type { Claims } from './types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Default `getClaims`: `context.auth` (the verified token payload), or `null`. */
export function defaultGetClaims(context: unknown): Claims | null {
  if (!isRecord(context)) return null;
  return isRecord(context.auth) ? context.auth : null;
}

/** Default `getUser`: `context.user`, or `null`. */
export function defaultGetUser(context: unknown): unknown {
  return isRecord(context) ? (context.user ?? null) : null;
}

/**
 * Default `extractScopes`: the strings of the `scopes` array claim, followed by the words of a
 * space-separated `scope` string claim (RFC 8693 style) when there is one.
 */
export function defaultExtractScopes(claims: Claims): string[] {
  const list = claims[SCOPES];
  const scopes = Array.isArray(list) ? list.filter((scope): scope is string => typeof scope === 'string') : [];
  const scope = claims.scope;
  if (typeof scope === 'string') scopes.push(...scope.split(/\s+/).filter((word) => word.length > 0));
  return scopes;
}
