import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { MissingPackageError, SettingsError } from '../../errors.js';
import { importFeature } from '../../lib/optional-packages.js';

/** What graphql-sso uses of tsx (`tsx/esm/api`): its ES-module loader hooks. */
export interface TsxApi {
  register(options?: { tsconfig?: string }): unknown;
}

/** Loads tsx's API; tests pass one that fails, as a missing tsx does. */
export type LoadTsx = () => Promise<TsxApi>;

const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts']);

export const isTypeScript = (file: string): boolean => TYPESCRIPT_EXTENSIONS.has(extname(file));

/** tsx is an optional peer dependency: loaded the first time a TypeScript config is. */
const loadInstalledTsx: LoadTsx = () => import('tsx/esm/api');

/**
 * Node's loader hooks are process-wide, so tsx is registered once per loader (once per process
 * for the installed one) and stays registered: a TypeScript config may import TypeScript later,
 * and a reload (SIGHUP) imports it again.
 *
 * `register()` rather than `tsImport()`: tsImport gives each import a module graph of its own, in
 * which every ES module is loaded again — graphql-sso too. The config's `ForbiddenError` would
 * then not be the service's (a refusal would be answered as an internal error), nor its `User`
 * the identity's entity. Registered hooks share Node's one module cache.
 */
const registrations = new WeakMap<LoadTsx, Promise<void>>();

const nodeStripsTypes = (): boolean => Boolean((process.features as { typescript?: unknown }).typescript);

/** The nearest file named `name` in the folders above `file`, and its text. */
function nearest(file: string, name: string): { path: string; text: string } | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const path = join(dir, name);
    try {
      return { path, text: readFileSync(path, 'utf8') };
    } catch {
      // None here: look further up.
    }
    if (dirname(dir) === dir) return null;
  }
}

/** The nearest package.json, which decides whether a `.ts` file is an ES module (`"type": "module"`), as for `.js`. */
function packageScope(file: string): { packageJson: string | null; isModule: boolean } {
  const found = nearest(file, 'package.json');
  if (!found) return { packageJson: null, isModule: false };
  try {
    return { packageJson: found.path, isModule: (JSON.parse(found.text) as { type?: unknown }).type === 'module' };
  } catch {
    return { packageJson: found.path, isModule: false };
  }
}

/**
 * tsx compiles a CommonJS TypeScript file's imports to `require()`, which loads every ES module
 * again as CommonJS (graphql-sso included, with the consequences above) and cannot load
 * `graphql-sso/identity` at all. So TypeScript configs must be ES modules.
 */
function refuseCommonJs(file: string, setting: string): void {
  const extension = extname(file);
  if (extension === '.mts') return;
  const scope = packageScope(file);
  if (extension === '.ts' && scope.isModule) return;
  const why =
    extension === '.cts'
      ? 'a .cts file is CommonJS'
      : scope.packageJson
        ? `it is CommonJS, as ${scope.packageJson} has no "type": "module"`
        : 'it is CommonJS, as no package.json above it says "type": "module"';
  throw new SettingsError(
    setting,
    `cannot load ${file}: TypeScript configs are loaded as ES modules (through tsx, sharing graphql-sso with the service), and ${why}. ` +
      `Rename it to ${file.slice(0, -extension.length)}.mts${extension === '.ts' ? ', or set "type": "module" in its package.json' : ''}.`,
    { file },
  );
}

/**
 * tsx compiles with the tsconfig.json nearest the (first) TypeScript config file, so that it
 * compiles as its project does wherever `serve` is started from (tsx itself would read the
 * working directory's); `TSX_TSCONFIG_PATH` still chooses another. It matters: without
 * `"experimentalDecorators": true`, esbuild emits standard decorators, which type-graphql and
 * MikroORM do not take.
 */
async function register(loadTsx: LoadTsx, file: string): Promise<void> {
  const tsx = await importFeature('a TypeScript config file', loadTsx);
  const tsconfig = process.env.TSX_TSCONFIG_PATH ? undefined : nearest(file, 'tsconfig.json')?.path;
  tsx.register(tsconfig ? { tsconfig } : {});
}

/**
 * Makes `import()` of the TypeScript file `file` work: registers tsx, or leaves it to Node when
 * it strips types itself and tsx is not installed. Without either, a `SettingsError` names both
 * ways out: install tsx, or compile the file.
 */
export async function prepareTypeScript(file: string, setting: string, loadTsx: LoadTsx = loadInstalledTsx): Promise<void> {
  let registration = registrations.get(loadTsx);
  if (!registration) {
    registration = register(loadTsx, file);
    registrations.set(loadTsx, registration);
  }
  try {
    await registration;
  } catch (error) {
    registrations.delete(loadTsx);
    if (!(error instanceof MissingPackageError)) {
      throw new SettingsError(setting, `cannot load ${file}: tsx could not be registered: ${(error as Error).message}`, {
        file,
        cause: error,
      });
    }
    if (nodeStripsTypes()) return;
    throw new SettingsError(
      setting,
      `cannot load ${file}: a TypeScript config needs the package tsx, which is not installed. ` +
        'Install it (npm i -D tsx), or compile the config with tsc and pass the .js file.',
      { file, cause: error },
    );
  }
  refuseCommonJs(file, setting);
}

/**
 * The message of an error importing a TypeScript file through tsx, with a hint for the two ways
 * decorators fail there: type-graphql finding no type (esbuild emits no decorator metadata), and
 * standard decorators (esbuild's `__decorateElement`) where type-graphql and MikroORM expect
 * TypeScript's experimental ones.
 */
export function typeScriptHint(error: unknown): string {
  const { message = '', stack = '' } = (error ?? {}) as { message?: string; stack?: string };
  if (/Unable to infer GraphQL type from TypeScript reflection system/.test(message)) {
    return (
      `${message} (tsx, which loads TypeScript configs, compiles with esbuild, which emits no decorator metadata: ` +
      'give every @Field its type, e.g. @Field(() => String), or compile with tsc and pass the .js file)'
    );
  }
  if (stack.includes('__decorateElement')) {
    return (
      `${message || (error as Error).name} (decorators were compiled as standard decorators, which type-graphql and MikroORM do not take: ` +
      'set "experimentalDecorators": true in the tsconfig.json nearest the config file, and let its "include" cover the decorated files)'
    );
  }
  return message;
}
