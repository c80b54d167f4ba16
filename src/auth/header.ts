import { AuthenticationError } from '../errors.js';

export interface ParseAuthorizationHeaderOptions {
  /** Longest token accepted, in characters (`limits.maxTokenLength`); a longer one is refused undecoded. */
  maxTokenLength?: number;
}

/**
 * The token of an `Authorization: <scheme> <token>` header; `null` when there is no header.
 * A header that is present but not of that form is refused, never ignored.
 */
export function parseAuthorizationHeader(
  value: string | string[] | undefined,
  scheme: string,
  { maxTokenLength = Number.POSITIVE_INFINITY }: ParseAuthorizationHeaderOptions = {},
): string | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', 'Invalid token header. Send one Authorization header.');
  }
  const parts = value.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return null;
  if (parts[0]!.toLowerCase() !== scheme.toLowerCase()) {
    throw new AuthenticationError(
      'AUTH_HEADER_INVALID',
      `Invalid token header. Expected "Authorization: ${scheme} <token>".`,
    );
  }
  if (parts.length === 1) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', 'Invalid token header. No credentials provided.');
  }
  if (parts.length > 2) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', 'Invalid token header. Token string should not contain spaces.');
  }
  const token = parts[1]!;
  if (token.length > maxTokenLength) {
    throw new AuthenticationError(
      'TOKEN_TOO_LONG',
      `Invalid token header. The token is ${token.length} characters long, more than the limit of ${maxTokenLength} (setting limits.maxTokenLength).`,
    );
  }
  return token;
}
