import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPem } from '../../src/jwt/generate-key.js';
import type { Algorithm } from '../../src/jwt/lib/algorithms.js';

export interface TestKeyDir {
  root: string;
  /** Writes a new key pair as `<name>.pem` and returns the file name (relative to root). */
  add(name: string, algorithm?: Algorithm): Promise<string>;
  remove(): void;
}

export function createKeyDir(): TestKeyDir {
  const root = mkdtempSync(join(tmpdir(), 'sso-keys-'));
  return {
    root,
    async add(name, algorithm = 'RS256') {
      const file = `${name}.pem`;
      writeFileSync(join(root, file), await generateKeyPem(algorithm), { mode: 0o600 });
      return file;
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
