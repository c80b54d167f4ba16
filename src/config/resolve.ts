import * as v from 'valibot';
import { SettingsError } from '../errors.js';
import { checkEntities, namedMigrations } from './lib/application-tables.js';
import { settingsErrorOf } from './lib/settings-issue.js';
import { settings as SETTINGS } from './schema/settings.js';
import type { SsoConfig, SsoSettings } from './settings.js';

/** Freezes the plain objects and lists of a settings value; hooks and classes stay as they are. */
function freeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) freeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The settings of an empty config: the schema's defaults, frozen. */
export const DEFAULT_SETTINGS: Readonly<SsoSettings> = freeze(v.parse(SETTINGS, {}));

/**
 * What the settings must satisfy together, checked once each is valid on its own: keys are only
 * of use with `identity` to check audiences against, and an identity with private keys must have
 * its own to sign with.
 */
function checkTogether(settings: SsoSettings): void {
  const keyed = Object.keys({ ...settings.publicKeys, ...settings.privateKeys, ...settings.jwksUrls }).length > 0;
  if (settings.verifyAudience && settings.identity === null && keyed) {
    throw new SettingsError(
      'identity',
      'is required while verifyAudience is true: tokens are accepted only when their "aud" names this service',
    );
  }
  if (settings.identity !== null && Object.keys(settings.privateKeys).length > 0 && !(settings.identity in settings.privateKeys)) {
    throw new SettingsError(
      `privateKeys.${settings.identity}`,
      `no private key is configured for identity "${settings.identity}", so it cannot issue tokens`,
    );
  }
}

/**
 * Completes a config from the defaults (also inside `limits` and `loginThrottle`) and validates
 * every value. Throws `SettingsError` naming the first setting at fault (`limits.maxDepth`). The
 * given config is not changed. Key files are checked later, by `KeyStore.load`.
 */
export function resolveSettings(config: SsoConfig = {}): SsoSettings {
  const result = v.safeParse(SETTINGS, config);
  if (!result.success) throw settingsErrorOf(result.issues);
  const settings = result.output;
  // Each entry under its own name (`migrations[1]`); clashes with the identity's own migration
  // names are found where those are known, when the database is opened.
  checkEntities(settings.entities);
  namedMigrations(settings.migrations);
  settings.decodeAlgorithms ??= [settings.encodeAlgorithm];
  checkTogether(settings);
  return settings;
}
