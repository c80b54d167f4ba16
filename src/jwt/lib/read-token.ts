import { isUtf8 } from 'node:buffer';
import jwt from 'jsonwebtoken';
import { AuthenticationError } from '../../errors.js';

/** A token header as jsonwebtoken decodes it, once `headerProblem` has found nothing wrong. */
export interface TokenHeader {
  readonly alg?: unknown;
  readonly kid?: string;
  readonly [name: string]: unknown;
}

/** A token's header and payload as jsonwebtoken decodes them, before anything is verified. */
export interface UnverifiedToken {
  header: TokenHeader;
  payload: Record<string, unknown>;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with the token's form before it is decoded, if anything: it must have three parts,
 * and its signature must be in its one canonical base64url spelling (no length that no byte count
 * gives, the unused low bits of the last character zero: RFC 4648 §3.5). jsonwebtoken decodes
 * signatures leniently, so without this a token would have other valid spellings, a second token
 * of the same claims; header and payload need no such check, as they are signed as text.
 */
export function formProblem(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.includes('.', second + 1)) return 'Token is not a JWT (expected three dot-separated parts).';
  const rest = (token.length - second - 1) % 4;
  if (rest === 0) return undefined;
  const spareBits = rest === 2 ? 0x0f : 0x03;
  if (rest === 1 || (BASE64URL_ALPHABET.indexOf(token[token.length - 1]!) & spareBits) !== 0)
    return 'Token signature is not canonical base64url.';
  return undefined;
}

/**
 * Header or payload bytes that are not UTF-8 (RFC 8259 §8.1), which jsonwebtoken lets through:
 * it reads the header as Latin-1 and replaces such bytes in the payload, so different bytes
 * would read as the same text. For a token of three parts.
 */
export function encodingProblem(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (!isUtf8(Buffer.from(token.slice(0, first), 'base64url'))) return 'Token header is not UTF-8.';
  if (!isUtf8(Buffer.from(token.slice(first + 1, second), 'base64url'))) return 'Token payload is not UTF-8.';
  return undefined;
}

/** A decoded header that is not a JSON object, has a `crit` (no extension is understood, RFC 7515 §4.1.11) or a `kid` that is not a string. */
export function headerProblem(header: unknown): string | undefined {
  if (!isObject(header)) return 'Token header is not a JSON object.';
  if (header.crit !== undefined) return 'critical header parameters are not supported.';
  if (header.kid !== undefined && typeof header.kid !== 'string') return '"kid" header is not a string.';
  return undefined;
}

const malformed = (reason: string) => new AuthenticationError('TOKEN_MALFORMED', `Error decoding token: ${reason}`);

/**
 * Decodes a token with jsonwebtoken's own `decode` and checks, in this order, what RFC 7515 §5.2
 * asks of it beyond that: `formProblem`, base64url JSON, `encodingProblem`, `headerProblem`, a
 * payload that is a JSON object. Each failure is `TOKEN_MALFORMED`.
 */
export function readToken(token: string): UnverifiedToken {
  const form = formProblem(token);
  if (form !== undefined) throw malformed(form);
  let decoded: jwt.Jwt | null;
  try {
    decoded = jwt.decode(token, { complete: true });
  } catch {
    decoded = null; // a payload that is not JSON under a header of typ "JWT"
  }
  if (decoded === null) throw malformed('Token is not base64url JSON.');
  const problem = encodingProblem(token) ?? headerProblem(decoded.header);
  if (problem !== undefined) throw malformed(problem);
  if (!isObject(decoded.payload)) throw malformed('Token payload is not a JSON object.');
  return { header: decoded.header as TokenHeader, payload: decoded.payload };
}
