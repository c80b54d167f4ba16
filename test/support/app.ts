import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';

/** The packages an application's own files import here; graphql-sso itself is this repository. */
const LINKED_PACKAGES = ['@mikro-orm', 'type-graphql', 'graphql', 'reflect-metadata'];

export interface AppDir {
  dir: string;
  /** Writes `text` to `path` (relative to the folder); returns the absolute path. */
  write(path: string, text: string): string;
  remove(): void;
}

/**
 * A folder laid out like an application that installed graphql-sso: a package.json (an ES-module
 * package unless `type` says otherwise), a tsconfig.json with the decorators type-graphql and
 * MikroORM need, and node_modules linking graphql-sso (this repository) and its peers. Links
 * resolve to the very files the CLI runs, so the app's `User` is the identity's.
 */
export function createAppDir(prefix: string, { type = 'module' }: { type?: 'module' | 'commonjs' } = {}): AppDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const write = (path: string, text: string) => {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  write('package.json', JSON.stringify({ name: 'app', private: true, type }));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', experimentalDecorators: true, useDefineForClassFields: false } }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'graphql-sso'), 'dir');
  for (const name of LINKED_PACKAGES) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The payload of a JWT, unverified. */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}
