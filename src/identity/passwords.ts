import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';

/**
 * bcrypt reads only the first 72 bytes of its input and stops at a NUL byte, so two long
 * passwords sharing a prefix would match. Every password is first reduced to a 44-character
 * base64 SHA-256 digest of its NFC form: all of it counts, and none of it is cut.
 */
function prehash(password: string): string {
  return createHash('sha256').update(password.normalize('NFC'), 'utf8').digest('base64');
}

export function hashPassword(password: string, rounds: number): Promise<string> {
  return bcrypt.hash(prehash(password), rounds);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(prehash(password), hash);
}

/** The cost a hash was made with, to re-hash at the next login when the setting changed. */
export function hashRounds(hash: string): number {
  return bcrypt.getRounds(hash);
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed hash of cost `rounds` that no password matches (random salt and digest), to
 * compare against when the user is unknown: one bcrypt run of the configured cost, as for a
 * known user, with nothing hashed in advance.
 */
export function unmatchableHash(rounds: number): string {
  const chars = [...randomBytes(53)].map((byte) => BCRYPT_ALPHABET[byte & 63]).join('');
  return `$2b$${String(rounds).padStart(2, '0')}$${chars}`;
}
