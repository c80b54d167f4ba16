import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SettingsError } from '../../errors.js';
import { isTypeScript, prepareTypeScript, typeScriptHint, type LoadTsx } from './typescript.js';

export interface ImportModuleOptions {
  /**
   * Import the file afresh, past Node's module cache (a reload on SIGHUP). The modules it imports
   * come from the cache still, so the classes it lists (entities, migrations) stay the same.
   */
  fresh?: boolean;
  /** How tsx is loaded for a TypeScript file (tests make it fail, as a missing tsx does). */
  loadTsx?: LoadTsx;
}

/**
 * Imports a config module or a module a JSON config refers to: JavaScript as Node does, TypeScript
 * (`.ts`, `.mts`) through tsx. Every failure is a `SettingsError` naming `setting` and the file.
 */
export async function importConfigModule(
  file: string,
  setting: string,
  options: ImportModuleOptions = {},
): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new SettingsError(setting, `module not found: ${file}`, { file });
  const typescript = isTypeScript(file);
  if (typescript) await prepareTypeScript(file, setting, options.loadTsx);
  const url = `${pathToFileURL(file).href}${options.fresh ? `?reload=${Date.now()}` : ''}`;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new SettingsError(
        setting,
        `cannot load ${file}: Node cannot import this type of file (a config is .json, .js, .mjs, .cjs, or .ts/.mts with tsx installed)`,
        {
          file,
          cause: error,
        },
      );
    }
    throw new SettingsError(setting, `cannot load ${file}: ${typescript ? typeScriptHint(error) : (error as Error).message}`, {
      file,
      cause: error,
    });
  }
}

/**
 * The settings a config module exports: `export default defineConfig({...})`, or `export const
 * config`. A CommonJS module's `module.exports` is its default export.
 */
export function configOf(mod: Record<string, unknown>, file: string): unknown {
  const config = mod.default ?? mod.config;
  if (config === undefined) {
    throw new SettingsError('(config)', `${file} must export its settings as default (export default defineConfig({...}))`, { file });
  }
  return config;
}
