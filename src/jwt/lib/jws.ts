import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { algorithmParameters, type Algorithm } from './algorithms.js';

/** Compact JWS serialization, the part of RFC 7515 that JWTs use. Internal: keys are already vetted. */

export interface ParsedJws {
  header: Record<string, unknown>;
  payload: unknown;
  signingInput: string;
  signature: Buffer;
}

export class JwsFormatError extends Error {}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJsonSegment(segment: string, what: string): unknown {
  if (!BASE64URL.test(segment)) throw new JwsFormatError(`${what} is not base64url.`);
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwsFormatError(`${what} is not valid JSON.`);
  }
}

export function parseJws(token: string): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsFormatError('Token is not a JWT (expected three dot-separated parts).');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonSegment(headerPart, 'Token header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new JwsFormatError('Token header is not a JSON object.');
  }
  const payload = decodeJsonSegment(payloadPart, 'Token payload');
  if (!BASE64URL.test(signaturePart)) throw new JwsFormatError('Token signature is not base64url.');
  return {
    header: header as Record<string, unknown>,
    payload,
    signingInput: `${headerPart}.${payloadPart}`,
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

function keyOptions(algorithm: Algorithm, key: KeyObject) {
  const params = algorithmParameters(algorithm);
  if (params.ecdsa) return { hash: params.hash, options: { key, dsaEncoding: 'ieee-p1363' as const } };
  if (params.padding === 'pss') {
    return {
      hash: params.hash,
      options: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
    };
  }
  return { hash: params.hash, options: { key, padding: constants.RSA_PKCS1_PADDING } };
}

export function verifyJws(jws: ParsedJws, algorithm: Algorithm, key: KeyObject): boolean {
  const { hash, options } = keyOptions(algorithm, key);
  try {
    return verify(hash, Buffer.from(jws.signingInput), options, jws.signature);
  } catch {
    return false;
  }
}

export function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  algorithm: Algorithm,
  key: KeyObject,
): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(
    JSON.stringify(payload),
  ).toString('base64url')}`;
  const { hash, options } = keyOptions(algorithm, key);
  const signature = sign(hash, Buffer.from(signingInput), options);
  return `${signingInput}.${signature.toString('base64url')}`;
}
