import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SettingsError } from '../errors.js';
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

async function importModule(file: string, setting: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new SettingsError(setting, `cannot load ${file}: compile it to JavaScript first (Node runs .js/.mjs configs)`, { file, cause: error });
    }
    // Only when the file itself is missing: a missing import of an existing module falls through.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'ENOENT') && !existsSync(file)) {
      throw new SettingsError(setting, `module not found: ${file}`, { file, cause: error });
    }
    throw new SettingsError(setting, `cannot load ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/** Resolves `"./hooks.js#createAuthorizationPayload"` relative to the config file's folder. */
async function resolveHook(reference: string, baseDir: string, setting: string): Promise<unknown> {
  const hash = reference.lastIndexOf('#');
  if (hash <= 0 || hash === reference.length - 1) {
    throw new SettingsError(setting, `must be "module-path#exportName" (got ${JSON.stringify(reference)})`);
  }
  const modulePath = reference.slice(0, hash);
  const exportName = reference.slice(hash + 1);
  const file = modulePath.startsWith('.') || modulePath.startsWith('/') ? resolve(baseDir, modulePath) : modulePath;
  const mod = file === modulePath ? await importPackage(modulePath, setting) : await importModule(file, setting);
  if (!(exportName in mod)) throw new SettingsError(setting, `${modulePath} has no export named "${exportName}"`, { file });
  const hook = mod[exportName];
  if (typeof hook !== 'function') {
    throw new SettingsError(setting, `${reference} is not a function (it is ${hook === null ? 'null' : typeof hook})`, { file });
  }
  return hook;
}

async function importPackage(specifier: string, setting: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new SettingsError(setting, `cannot load module "${specifier}": ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads a config file once, at start-up: a JS module whose default export is the settings
 * (`export default defineConfig({...})`), or a JSON file whose hook settings are module references.
 * Returns the raw settings; `resolveSettings` validates them.
 */
export async function loadConfig(path: string): Promise<SsoConfig> {
  const file = resolve(path);
  if (extname(file) === '.json') {
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
    for (const setting of HOOK_SETTINGS) {
      const value = config[setting];
      if (typeof value === 'string') config[setting] = await resolveHook(value, dirname(file), setting);
    }
    return config as SsoConfig;
  }
  const mod = await importModule(file, '(config)');
  const config = mod.default ?? mod.config;
  if (config === undefined) {
    throw new SettingsError('(config)', `${file} must export its settings as default (export default defineConfig({...}))`, { file });
  }
  return config as SsoConfig;
}
