import { isUtf8 } from 'node:buffer';
import { constants, sign, verify, type KeyObject, type SigningOptions } from 'node:crypto';
import { SUPPORTED_ALGORITHMS, algorithmParameters, type Algorithm, type AlgorithmParameters } from './algorithms.js';

/** Compact JWS serialization, the part of RFC 7515 that JWTs use. Internal: keys are already vetted. */

export interface ParsedJws {
  /** Shared between tokens with the same header text: frozen. */
  header: Readonly<Record<string, unknown>>;
  payload: unknown;
  /** `header.payload`, the bytes the signature covers (base64url, so ASCII). */
  signingInput: string;
  /** The signature part, still base64url: `verifyJws` decodes it. */
  signature: string;
}

export class JwsFormatError extends Error {}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Payload and signature, checked in one pass from `lastIndex` (just after the header's dot). */
const PAYLOAD_AND_SIGNATURE = /[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/y;

/**
 * Bytes that token parts are decoded into, reused by every call instead of a new Buffer per part.
 * Every use is synchronous (written, read and done before the function returns), so no caller
 * sees another's bytes. A part too big for it gets a Buffer of its own.
 */
const scratch = Buffer.allocUnsafeSlow(8192);
const scratchFor = (size: number) => (size <= scratch.length ? scratch : Buffer.allocUnsafe(size));

/**
 * JSON from base64url text that is known to hold only base64url characters. The bytes must be
 * UTF-8 (RFC 8259 §8.1): decoding them leniently would turn different bytes into the same text.
 */
function decodeJson(segment: string, what: string): unknown {
  const scratchBytes = scratchFor(segment.length);
  const bytes = scratchBytes.subarray(0, scratchBytes.write(segment, 0, 'base64url'));
  if (!isUtf8(bytes)) throw new JwsFormatError(`${what} is not UTF-8.`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new JwsFormatError(`${what} is not valid JSON.`);
  }
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Base64url text (known to hold only its characters) in its one canonical spelling: no length
 * that no byte count gives, and the unused low bits of the last character zero (RFC 4648 §3.5).
 */
function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const spareBits = rest === 2 ? 0x0f : 0x03;
  return (BASE64URL_ALPHABET.indexOf(text[text.length - 1]!) & spareBits) === 0;
}

/**
 * Parsed headers by their base64url text. A service sees a handful of distinct headers (one per
 * key and algorithm), so parsing each once saves a base64 decode and a JSON.parse per token. It
 * memoizes a pure function (no settings, no keys), so services in one process share nothing
 * through it; it is emptied when full, so odd headers cannot grow it.
 */
const HEADER_MEMO_SIZE = 64;
const HEADER_MEMO_MAX_LENGTH = 512;
const headerMemo = new Map<string, Readonly<Record<string, unknown>>>();

function parseHeader(segment: string): Readonly<Record<string, unknown>> {
  const known = headerMemo.get(segment);
  if (known !== undefined) return known;
  if (!BASE64URL.test(segment)) throw new JwsFormatError('Token header is not base64url.');
  const header = decodeJson(segment, 'Token header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new JwsFormatError('Token header is not a JSON object.');
  }
  const frozen = Object.freeze(header as Record<string, unknown>);
  if (segment.length <= HEADER_MEMO_MAX_LENGTH) {
    if (headerMemo.size >= HEADER_MEMO_SIZE) headerMemo.clear();
    headerMemo.set(segment, frozen);
  }
  return frozen;
}

const NOT_THREE_PARTS = 'Token is not a JWT (expected three dot-separated parts).';

/** Splits and decodes a compact JWS, each part checked and decoded once. */
export function parseJws(token: string): ParsedJws {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1) throw new JwsFormatError(NOT_THREE_PARTS);
  PAYLOAD_AND_SIGNATURE.lastIndex = first + 1;
  if (!PAYLOAD_AND_SIGNATURE.test(token)) {
    const problem = !BASE64URL.test(token.slice(first + 1, second))
      ? 'Token payload is not base64url.'
      : token.includes('.', second + 1)
        ? NOT_THREE_PARTS
        : 'Token signature is not base64url.';
    throw new JwsFormatError(problem);
  }
  const signature = token.slice(second + 1);
  // Header and payload are signed as text; the signature is not, so a second spelling of its
  // bytes would make a second valid token of the same claims.
  if (!isCanonicalBase64url(signature)) throw new JwsFormatError('Token signature is not canonical base64url.');
  return {
    header: parseHeader(token.slice(0, first)),
    payload: decodeJson(token.slice(first + 1, second), 'Token payload'),
    signingInput: token.slice(0, second),
    signature,
  };
}

type KeyInput = KeyObject | (SigningOptions & { key: KeyObject });

const PARAMETERS = Object.fromEntries(SUPPORTED_ALGORITHMS.map((a) => [a, algorithmParameters(a)])) as Record<Algorithm, AlgorithmParameters>;

/**
 * What `crypto.verify`/`crypto.sign` take as the key for an algorithm. A fresh object literal,
 * not a spread of shared options: Node reads a literal's options ~1 µs faster per ES256 call.
 */
function keyInput(algorithm: Algorithm, key: KeyObject): KeyInput {
  const params = PARAMETERS[algorithm];
  // JWS carries ECDSA signatures as r||s, not DER.
  if (params.ecdsa) return { key, dsaEncoding: 'ieee-p1363' };
  if (params.padding === 'pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  return key; // RSASSA-PKCS1-v1_5, the default for RSA keys
}

export function verifyJws(jws: ParsedJws, algorithm: Algorithm, key: KeyObject): boolean {
  const { signingInput, signature } = jws;
  const bytes = scratchFor(signingInput.length + signature.length);
  const inputLength = bytes.write(signingInput, 0, 'latin1');
  const signatureLength = bytes.write(signature, inputLength, 'base64url');
  try {
    return verify(PARAMETERS[algorithm].hash, bytes.subarray(0, inputLength), keyInput(algorithm, key), bytes.subarray(inputLength, inputLength + signatureLength));
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
  const signature = sign(PARAMETERS[algorithm].hash, Buffer.from(signingInput), keyInput(algorithm, key));
  return `${signingInput}.${signature.toString('base64url')}`;
}
