import { AuthenticationError } from '../errors.js';

export interface ParseAuthorizationHeaderOptions {
  /** Longest token accepted, in characters (`limits.maxTokenLength`); a longer one is refused undecoded. */
  maxTokenLength?: number;
}

/** What `trim` removes; a token is one run of anything else. */
const WHITESPACE = /\s/;

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
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const schemeEnd = trimmed.search(WHITESPACE);
  const given = schemeEnd === -1 ? trimmed : trimmed.slice(0, schemeEnd);
  if (given.toLowerCase() !== scheme.toLowerCase()) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', `Invalid token header. Expected "Authorization: ${scheme} <token>".`);
  }
  if (schemeEnd === -1) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', 'Invalid token header. No credentials provided.');
  }
  const token = trimmed.slice(schemeEnd).trimStart();
  if (WHITESPACE.test(token)) {
    throw new AuthenticationError('AUTH_HEADER_INVALID', 'Invalid token header. Token string should not contain spaces.');
  }
  if (token.length > maxTokenLength) {
    throw new AuthenticationError(
      'TOKEN_TOO_LONG',
      `Invalid token header. The token is ${token.length} characters long, more than the limit of ${maxTokenLength} (setting limits.maxTokenLength).`,
    );
  }
  return token;
}
