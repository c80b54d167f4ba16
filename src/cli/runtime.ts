import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pino, type Logger } from 'pino';
import { entityName, namedMigrations } from '../config/lib/application-tables.js';
import { loadConfig } from '../config/load.js';
import { resolveSettings } from '../config/resolve.js';
import type { SsoConfig, SsoSettings } from '../config/settings.js';
import { dataDirFromEnv } from '../db/defaults.js';
import { SettingsError } from '../errors.js';
import { writeKeyFile } from '../jwt/generate-key.js';
import { createSsoLogger } from '../observability/logger.js';

const DEV_IDENTITY = 'graphql-sso';

export function createCliLogger(): Logger {
  // Logs go to stderr: stdout carries what a command prints (a key path, the SDL).
  return createSsoLogger({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2));
}

export const dataDir = dataDirFromEnv;

export async function readConfig(configPath: string | undefined): Promise<SsoConfig> {
  const path = configPath ?? process.env.SSO_CONFIG;
  return path ? loadConfig(path) : {};
}

/**
 * The settings file read again, for a reload (SIGHUP): a JSON file is re-read; a JS/TS module is
 * imported afresh, past Node's module cache (the modules it imports are not).
 */
export async function rereadConfig(configPath: string | undefined): Promise<SsoConfig> {
  const path = configPath ?? process.env.SSO_CONFIG;
  return path ? loadConfig(path, { fresh: true }) : {};
}

const KEY_SETTINGS = new Set(['keyStoreRoot', 'privateKeys', 'publicKeys']);

/**
 * A setting as a reload compares it. Entities and migrations go by name: a config imported afresh
 * defines the classes it holds itself afresh too.
 */
function comparable(settings: SsoSettings, key: keyof SsoSettings): unknown {
  if (key === 'entities') return settings.entities.map(entityName);
  if (key === 'migrations') return namedMigrations(settings.migrations).map((migration) => migration.name);
  return settings[key];
}

/** Settings (other than key files) whose value differs: a reload does not apply them, a restart does. */
export function settingsNeedingRestart(running: SsoSettings, next: SsoSettings): string[] {
  return (Object.keys(next) as (keyof SsoSettings)[]).filter(
    (key) =>
      !KEY_SETTINGS.has(key) && typeof next[key] !== 'function' && !isDeepStrictEqual(comparable(next, key), comparable(running, key)),
  );
}

/**
 * Settings for `serve`: outside production, a config with no signing key gets a development key
 * under `<data dir>/keys` (created once, then reused), so that a fresh clone serves at once.
 */
export async function serveSettings(config: SsoConfig, logger: Logger): Promise<SsoSettings> {
  const hasKeys = config.privateKeys && Object.keys(config.privateKeys).length > 0;
  if (hasKeys || process.env.NODE_ENV === 'production') {
    const settings = resolveSettings(config);
    if (!hasKeys) {
      throw new SettingsError(
        'privateKeys',
        'no signing key is configured (NODE_ENV=production creates no development key); run `graphql-sso keys generate`',
      );
    }
    return settings;
  }
  const identity = config.identity ?? DEV_IDENTITY;
  const keyDir = join(dataDir(), 'keys');
  const existing = (await readdir(keyDir).catch(() => [] as string[]))
    .filter((name) => name.startsWith(`${identity}-`) && name.endsWith('.pem'))
    .sort()
    .reverse();
  let file = existing[0];
  if (!file) {
    const path = await writeKeyFile({ issuer: identity, dir: keyDir, algorithm: config.encodeAlgorithm });
    file = path.slice(keyDir.length + 1);
    logger.warn({ file: path }, 'No signing key configured: created a development key (do not use it in production)');
  } else {
    logger.info({ file: join(keyDir, file) }, 'Using the development signing key');
  }
  return resolveSettings({ ...config, identity, keyStoreRoot: keyDir, privateKeys: { [identity]: [file] } });
}
