import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { Algorithm } from './lib/algorithms.js';
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS } from './lib/algorithms.js';

const generate = promisify(generateKeyPair);

const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** A new key pair as one PEM text, private key first, as the original's openssl recipe makes it. */
export async function generateKeyPem(algorithm: Algorithm = 'RS256'): Promise<string> {
  if (!isSupportedAlgorithm(algorithm)) {
    throw new InputError(`Unsupported algorithm ${JSON.stringify(algorithm)}: use one of ${SUPPORTED_ALGORITHMS.join(', ')}.`);
  }
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;
  const { privateKey, publicKey } = algorithm.startsWith('ES')
    ? await generate('ec', { namedCurve: CURVES[algorithm]!, ...encoding })
    : await generate('rsa', { modulusLength: algorithm.endsWith('256') ? 2048 : 3072, ...encoding });
  return `${privateKey}${publicKey}`;
}

/** Throws `InputError` unless `issuer` can be part of a key file name (letters, digits, ".", "_", "-"). */
export function checkIssuerName(issuer: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(issuer)) {
    throw new InputError('Issuer name may hold only letters, digits, ".", "_" and "-" (it becomes a file name).');
  }
}

export interface WriteKeyFileOptions {
  issuer: string;
  algorithm?: Algorithm;
  dir: string;
  date?: Date;
}

/**
 * Writes `ISSUER-YYYYMMDD.pem` (owner-readable only) into `dir`; its `kid` is the file name
 * without `.pem`. A second key on the same day gets `-2`, `-3`... rather than overwriting.
 */
export async function writeKeyFile({ issuer, algorithm = 'RS256', dir, date = new Date() }: WriteKeyFileOptions): Promise<string> {
  checkIssuerName(issuer);
  const pem = await generateKeyPem(algorithm);
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const stamp = date.toISOString().slice(0, 10).replace(/-/g, '');
  for (let n = 1; ; n += 1) {
    const file = join(folder, `${issuer}-${stamp}${n === 1 ? '' : `-${n}`}.pem`);
    try {
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
