import type { Logger } from 'pino';
import type { SsoSettings } from '../config/settings.js';
import { openDatabase, type Database } from '../db/database.js';
import { identityEntities } from '../identity/entities/index.js';
import { identityMigrations } from '../identity/migrations/index.js';
import { dataDir } from './runtime.js';

/** The identity service's database as the CLI opens it: `DATABASE_URL`, else the embedded one under the data dir. */
export function openIdentityDatabase(logger: Logger, options: { serveEmbedded?: boolean; settings?: Pick<SsoSettings, 'databaseTimeout'> } = {}): Promise<Database> {
  return openDatabase({
    url: process.env.DATABASE_URL || null,
    dataDir: dataDir(),
    entities: identityEntities,
    migrations: identityMigrations,
    logger,
    serveEmbedded: options.serveEmbedded,
    timeout: options.settings && options.settings.databaseTimeout * 1000,
  });
}
