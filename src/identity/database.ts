import { resolve } from 'node:path';
import { MetadataError, type EntityClass, type EntitySchema, type MigrationObject } from '@mikro-orm/core';
import { pino, type Logger } from 'pino';
import { namedMigrations } from '../config/lib/application-tables.js';
import type { SsoSettings } from '../config/settings.js';
import { openDatabase, type Database } from '../db/database.js';
import { dataDirFromEnv, databaseUrlFromEnv } from '../db/defaults.js';
import { SettingsError } from '../errors.js';
import { createSsoLogger } from '../observability/logger.js';
import { identityEntities } from './entities/index.js';
import { identityMigrations } from './migrations/index.js';
import { SESSION_CHANNEL } from './session-events.js';

export interface OpenIdentityDatabaseOptions {
  /**
   * The settings (from `resolveSettings`): their `entities` are registered next to the identity's
   * and their `migrations` listed after the identity's; `databaseTimeout` bounds every wait.
   */
  settings: Pick<SsoSettings, 'entities' | 'migrations' | 'databaseTimeout'> & Partial<Pick<SsoSettings, 'embeddedDatabaseInProduction'>>;
  /** A PostgreSQL URL; default `DATABASE_URL`; `null` (or no `DATABASE_URL`): the embedded database. */
  url?: string | null;
  /** Where the embedded database lives (`<dataDir>/pglite`); default `SSO_DATA_DIR`, else `.data`. */
  dataDir?: string;
  /** `production` refuses the embedded database unless `embeddedDatabaseInProduction`; default `NODE_ENV`. */
  nodeEnv?: string;
  /** Default: warnings and errors (or `LOG_LEVEL`) to stderr. */
  logger?: Logger;
  /**
   * Share the embedded database with other processes through a local socket, as `graphql-sso
   * serve` does. Without it, an embedded database that a running `serve` holds is reached
   * through that server's socket, else opened in this process alone.
   */
  serveEmbedded?: boolean;
}

/**
 * `SettingsError`s for what MikroORM refuses in the application's entities when it discovers
 * them, so that the message names the setting (and says what tsx lacks, when that is the cause).
 */
function entityError(error: unknown): SettingsError | null {
  const message = (error as Error | null)?.message ?? '';
  if (/^Please provide either 'type' or 'entity' attribute/.test(message)) {
    return new SettingsError(
      'entities',
      `${message} A TypeScript file loaded through tsx (esbuild) carries no decorator metadata: give each property its type ` +
        "(@Property({ type: 'string' }), @PrimaryKey({ type: 'uuid' })), or compile it with tsc.",
      { cause: error },
    );
  }
  return error instanceof MetadataError ? new SettingsError('entities', message, { cause: error }) : null;
}

/**
 * Opens the identity service's database with its entities and migrations and the application's
 * (`entities`, `migrations`): what `graphql-sso serve`, `migrate` and `users` open, and what an
 * application's own script opens to work on its tables — while `serve` holds the embedded
 * database too, through the running server. `migrate(db)` then applies the identity's pending
 * migrations and the application's, in one migrations table. A migration named like one of the
 * identity's, or like another, is a `SettingsError` naming it (`migrations[1]`).
 */
export async function openIdentityDatabase(options: OpenIdentityDatabaseOptions): Promise<Database> {
  const { settings } = options;
  const reserved = identityMigrations.map((migration) => migration.name);
  const migrations: MigrationObject[] = [...identityMigrations, ...(namedMigrations(settings.migrations, reserved) as MigrationObject[])];
  // Listing an identity entity again (e.g. `User`, for a relation) registers it once.
  const entities = [...new Set<unknown>([...identityEntities, ...settings.entities])] as (EntityClass<object> | EntitySchema)[];
  const url = options.url === undefined ? databaseUrlFromEnv() : options.url;
  if (!url && (options.nodeEnv ?? process.env.NODE_ENV) === 'production' && !settings.embeddedDatabaseInProduction) {
    throw new SettingsError(
      'embeddedDatabaseInProduction',
      'NODE_ENV is production but no DATABASE_URL is set: set DATABASE_URL to a PostgreSQL server, or ' +
        'embeddedDatabaseInProduction: true to run on the embedded PGlite database anyway.',
    );
  }
  const logger = options.logger ?? createSsoLogger({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  try {
    return await openDatabase({
      url,
      dataDir: options.dataDir === undefined ? dataDirFromEnv() : resolve(options.dataDir),
      entities,
      migrations,
      logger,
      serveEmbedded: options.serveEmbedded,
      // The session cache of a service on the embedded database hears revocations through it.
      listen: [SESSION_CHANNEL],
      timeout: settings.databaseTimeout * 1000,
    });
  } catch (error) {
    throw (settings.entities.length > 0 ? entityError(error) : null) ?? error;
  }
}
