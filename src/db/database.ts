import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { embeddedDir, findRunningEmbedded, startEmbedded, type EmbeddedServer } from './embedded.js';
import { hideQueriesInErrors } from './query-errors.js';

export interface DatabaseOptions {
  /** A PostgreSQL URL (`DATABASE_URL`); without one, the embedded database under `dataDir`. */
  url?: string | null;
  /** Where the embedded database lives (`SSO_DATA_DIR`, default `.data`), in `<dataDir>/pglite`. */
  dataDir: string;
  entities: EntityClass<any>[];
  /** Oldest first; listed rather than globbed, so they run from compiled code. */
  migrations: MigrationObject[];
  logger: Logger;
  /** Share the embedded database with other processes (what `serve` does). */
  serveEmbedded?: boolean;
}

export interface Database {
  orm: MikroORM;
  kind: 'postgresql' | 'embedded' | 'embedded-remote';
  /** Where the data is, without credentials. */
  describe(): string;
  close(): Promise<void>;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return `PostgreSQL at ${parsed.host}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

async function initOrm(url: string, options: DatabaseOptions, poolMax: number): Promise<MikroORM> {
  const config: Options = {
    clientUrl: url,
    entities: options.entities,
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      tableName: 'sso_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    pool: { min: 0, max: poolMax },
    // A failed query's message starts with the statement as sent: `hideQueriesInErrors` cuts it off.
    driverOptions: { compileSqlOnError: false },
    debug: false,
    logger: (message) => options.logger.debug({ orm: true }, message),
  };
  const orm = await MikroORM.init(config);
  hideQueriesInErrors(orm);
  return orm;
}

/**
 * Opens the database: PostgreSQL at `url`, else the embedded one — through the socket of a
 * running `serve` when there is one, else opened here (and shared when `serveEmbedded`).
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const orm = await initOrm(options.url, options, 10);
    return { orm, kind: 'postgresql', describe: () => withoutPassword(options.url!), close: () => orm.close() };
  }
  const dir = embeddedDir(options.dataDir);
  // PGlite is one connection: its socket multiplexes clients, each of which keeps one.
  const remote = options.serveEmbedded ? null : await findRunningEmbedded(dir);
  if (remote) {
    const orm = await initOrm(remote, options, 1);
    return { orm, kind: 'embedded-remote', describe: () => `embedded PGlite at ${dir} (through the running server)`, close: () => orm.close() };
  }
  const embedded: EmbeddedServer = await startEmbedded(dir, { share: options.serveEmbedded ?? false });
  let orm: MikroORM;
  try {
    orm = await initOrm(embedded.url, options, 1);
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return {
    orm,
    kind: 'embedded',
    describe: () => `embedded PGlite at ${dir}`,
    async close() {
      await orm.close();
      await embedded.close();
    },
  };
}

/** Applies pending migrations; returns the names applied (none: already up to date). */
export async function migrate(db: Database): Promise<string[]> {
  const applied = await db.orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}
