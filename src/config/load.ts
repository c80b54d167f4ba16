import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { SettingsError } from '../errors.js';
import { configOf, importConfigModule } from './lib/import-module.js';
import { resolveFunctionReference, resolveListReferences } from './lib/module-reference.js';
import type { SsoConfig } from './settings.js';

/** Settings a JSON config may give as `"module-path#exportName"`. */
const HOOK_SETTINGS = [
  'createSessionPayload',
  'createAuthorizationPayload',
  'encodeJwtToken',
  'decodeJwtToken',
  'authenticatePayload',
  'authorizationArgs',
] as const;

/** List settings a JSON config may give as a reference to an exported list, or as a list of references. */
const LIST_SETTINGS = ['entities', 'migrations'] as const;

async function loadJsonConfig(file: string): Promise<SsoConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SettingsError('(config)', `config file not found: ${file}`, { file, cause: error });
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SettingsError('(config)', `${file} is not valid JSON: ${(error as Error).message}`, { file, cause: error });
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new SettingsError('(config)', `${file} must hold a JSON object of settings`, { file });
  }
  const baseDir = dirname(file);
  for (const setting of HOOK_SETTINGS) {
    const value = config[setting];
    if (typeof value === 'string') config[setting] = await resolveFunctionReference(value, baseDir, setting);
  }
  for (const setting of LIST_SETTINGS) {
    if (setting in config) config[setting] = await resolveListReferences(config[setting], baseDir, setting);
  }
  return config as SsoConfig;
}

export interface LoadConfigOptions {
  /**
   * Import a JS/TS config afresh, past Node's module cache, as a reload (SIGHUP) does; the modules
   * it imports are not imported again. A JSON file is read afresh anyway.
   */
  fresh?: boolean;
}

/**
 * Loads a config file: a module whose default export is the settings (`export default
 * defineConfig({...})`) — JavaScript, or TypeScript (`.ts` in a `"type": "module"` package,
 * `.mts`) when the optional package tsx is installed, which is then registered for the whole
 * process — or a JSON file whose hook and list settings may be module references. Returns the
 * raw settings; `resolveSettings` validates them.
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<SsoConfig> {
  const file = resolve(path);
  if (extname(file) === '.json') return loadJsonConfig(file);
  return configOf(await importConfigModule(file, '(config)', { fresh: options.fresh }), file) as SsoConfig;
}
