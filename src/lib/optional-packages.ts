import { createRequire } from 'node:module';
import { MissingPackageError } from '../errors.js';

/**
 * The packages graphql-sso uses but does not install, as `npm i` should name them (the ranges
 * are package.json's `peerDependencies`; a test keeps the two in step). A subgraph installs only
 * `graphql`; the identity service, the embedded database, Redis and the gateway helpers add theirs.
 */
export const PEER_INSTALL_SPECS = {
  graphql: 'graphql@16',
  '@apollo/server': '@apollo/server@5',
  '@apollo/subgraph': '@apollo/subgraph@2.14',
  fastify: 'fastify@5',
  '@as-integrations/fastify': '@as-integrations/fastify@3',
  'type-graphql': 'type-graphql@^2.0.0-rc.4',
  'graphql-scalars': 'graphql-scalars@1',
  '@mikro-orm/core': '@mikro-orm/core@6.6.16',
  '@mikro-orm/postgresql': '@mikro-orm/postgresql@6.6.16',
  '@mikro-orm/migrations': '@mikro-orm/migrations@6.6.16',
  '@electric-sql/pglite': '@electric-sql/pglite@0.5',
  '@electric-sql/pglite-socket': '@electric-sql/pglite-socket@0.2',
  ioredis: 'ioredis@5',
  '@apollo/gateway': '@apollo/gateway@2',
  '@apollo/composition': '@apollo/composition@2',
  bcrypt: 'bcrypt@6',
  'prom-client': 'prom-client@15',
  tsx: 'tsx@4',
} as const;

export type PeerPackage = keyof typeof PEER_INSTALL_SPECS;

/** What each feature needs, so that one missing package is answered with the whole install line. */
export const FEATURE_PACKAGES = {
  'graphql-sso/identity': [
    '@apollo/server',
    '@apollo/subgraph',
    'fastify',
    '@as-integrations/fastify',
    'type-graphql',
    'graphql-scalars',
    '@mikro-orm/core',
    '@mikro-orm/postgresql',
    '@mikro-orm/migrations',
    'bcrypt',
    'prom-client',
  ],
  'the embedded database (no DATABASE_URL)': ['@electric-sql/pglite', '@electric-sql/pglite-socket'],
  'the redisUrl setting': ['ioredis'],
  'graphql-sso/gateway': ['@apollo/gateway', '@apollo/composition', '@apollo/server'],
  'a TypeScript config file': ['tsx'],
  'requestLimits()': ['@apollo/server'],
} as const satisfies Record<string, readonly PeerPackage[]>;

export type Feature = keyof typeof FEATURE_PACKAGES;

/** `npm i ...` for a feature's packages. */
export function installCommand(feature: Feature): string {
  return `npm i ${FEATURE_PACKAGES[feature].map((name) => PEER_INSTALL_SPECS[name]).join(' ')}`;
}

/** `@scope/name` or `name` of a bare specifier such as `@apollo/server/errors`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The package a failed import or require could not find, from Node's own error. */
function missingPackageOf(error: unknown): string | null {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return null;
  const match = /Cannot find (?:package|module) '([^']+)'/.exec(String(message));
  if (!match || /^(?:\.|\/|file:)/.test(match[1]!)) return null;
  return packageOf(match[1]!);
}

function missingPackageError(feature: Feature, pkg: string, cause: unknown): MissingPackageError {
  return new MissingPackageError(
    pkg,
    `${feature} needs the package ${pkg}, which is not installed. Install what it needs: ${installCommand(feature)}`,
    { cause },
  );
}

/**
 * Runs `load` (a dynamic `import()` of modules that use `feature`'s packages); a package of
 * those that is not installed becomes a `MissingPackageError` naming it and the install command.
 */
export async function importFeature<T>(feature: Feature, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const pkg = missingPackageOf(error);
    if (pkg !== null && (FEATURE_PACKAGES[feature] as readonly string[]).includes(pkg)) throw missingPackageError(feature, pkg, error);
    throw error;
  }
}

/** `require(pkg)` for code that must stay synchronous, with the same error as `importFeature`. */
export function requireFeature<T>(feature: Feature, specifier: string, from: string): T {
  try {
    return createRequire(from)(specifier) as T;
  } catch (error) {
    const pkg = packageOf(specifier);
    if (missingPackageOf(error) === pkg) throw missingPackageError(feature, pkg, error);
    throw error;
  }
}
