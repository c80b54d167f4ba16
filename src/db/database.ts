import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityClass, EntitySchema, MigrationObject } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { importFeature } from '../lib/optional-packages.js';
import type { EmbeddedServer } from './embedded.js';
import type { DatabaseNotifications } from './notifications.js';
import { hideQueriesInErrors } from './query-errors.js';

export interface DatabaseOptions {
  /** A PostgreSQL URL (`DATABASE_URL`); without one, the embedded database under `dataDir`. */
  url?: string | null;
  /** Where the embedded database lives (`SSO_DATA_DIR`, default `.data`), in `<dataDir>/pglite`. */
  dataDir: string;
  entities: (EntityClass<any> | EntitySchema)[];
  /** Oldest first; listed rather than globbed, so they run from compiled code. */
  migrations: MigrationObject[];
  logger: Logger;
  /** Share the embedded database with other processes (what `serve` does). */
  serveEmbedded?: boolean;
  /** Channels whose notifications the embedded database opened here delivers (`Database#notifications`). */
  listen?: readonly string[];
  /**
   * Milliseconds to wait for a connection, for a free pooled connection, and (on a PostgreSQL
   * server) for one statement, before the query fails (default 5000: `databaseTimeout`).
   */
  timeout?: number;
}

export interface Database {
  orm: MikroORM;
  kind: 'postgresql' | 'embedded' | 'embedded-remote';
  /** Where the data is, without credentials. */
  describe(): string;
  /**
   * The embedded database opened here (`kind: 'embedded'`): its notifications on the `listen`
   * channels, which its clients' connections cannot LISTEN for. Otherwise absent.
   */
  notifications?: DatabaseNotifications;
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

const DEFAULT_TIMEOUT_MS = 5000;

function socketDirOf(url: string): string | undefined {
  try {
    const host = new URL(url).searchParams.get('host');
    return host?.startsWith('/') ? host : undefined;
  } catch {
    return undefined;
  }
}

async function initOrm(url: string, options: DatabaseOptions, poolMax: number, server: boolean): Promise<MikroORM> {
  const timeout = Math.ceil(options.timeout ?? DEFAULT_TIMEOUT_MS);
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
    // Bounded waits, so that a request fails fast while PostgreSQL is down; a broken connection
    // is dropped from the pool and the next acquire connects afresh, so it recovers by itself.
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: timeout },
    driverOptions: {
      // A failed query's message starts with the statement as sent: `hideQueriesInErrors` cuts it off.
      compileSqlOnError: false,
      // Knex's own warnings (e.g. a pooled connection found dead) go to our log, not the console.
      log: {
        warn: (message: unknown) => options.logger.warn({ knex: true }, String(message)),
        error: (message: unknown) => options.logger.error({ knex: true }, String(message)),
        deprecate: (message: unknown) => options.logger.debug({ knex: true }, String(message)),
        debug: (message: unknown) => options.logger.debug({ knex: true }, String(message)),
      },
      connection: {
        // A Unix socket (the embedded database's) is `?host=<folder>`, which MikroORM's URL parsing drops.
        ...(socketDirOf(url) ? { host: socketDirOf(url) } : {}),
        connectionTimeoutMillis: timeout,
        keepAlive: true,
        // PGlite runs one statement at a time and has no timer to cancel one.
        ...(server ? { statement_timeout: timeout } : {}),
      },
    },
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
    const orm = await initOrm(options.url, options, 10, true);
    return { orm, kind: 'postgresql', describe: () => withoutPassword(options.url!), close: () => orm.close() };
  }
  // PGlite is loaded only here: a service on a PostgreSQL server need not install it.
  const { embeddedDir, findRunningEmbedded, startEmbedded } = await importFeature(
    'the embedded database (no DATABASE_URL)',
    () => import('./embedded.js'),
  );
  const dir = embeddedDir(options.dataDir);
  // PGlite is one connection: its socket multiplexes clients, each of which keeps one.
  const remote = options.serveEmbedded ? null : await findRunningEmbedded(dir);
  if (remote) {
    const orm = await initOrm(remote, options, 1, false);
    return {
      orm,
      kind: 'embedded-remote',
      describe: () => `embedded PGlite at ${dir} (through the running server)`,
      close: () => orm.close(),
    };
  }
  const embedded: EmbeddedServer = await startEmbedded(dir, { share: options.serveEmbedded ?? false, listen: options.listen });
  let orm: MikroORM;
  try {
    orm = await initOrm(embedded.url, options, 1, false);
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return {
    orm,
    kind: 'embedded',
    describe: () => `embedded PGlite at ${dir}`,
    notifications: embedded.notifications,
    async close() {
      await orm.close();
      await embedded.close();
    },
  };
}

/**
 * A PGlite served over the wire protocol at a URL (as the tests do without TEST_DATABASE_URL) runs
 * one transaction at a time for all its clients, so the migrator's reads on other pooled
 * connections would wait behind the migrations' transaction until the pool times out.
 */
async function servedByPGlite(db: Database): Promise<boolean> {
  const [row] = await db.orm.em.getConnection().execute<{ version: string }[]>('select version() as version');
  return /PGlite/.test(row?.version ?? '');
}

/**
 * Applies pending migrations, all in one transaction; returns the names applied (none: already up
 * to date). On a PostgreSQL server they may take longer than a request's `statement_timeout`, so
 * it is lifted for their transaction (the embedded database has none, and one connection only).
 */
export async function migrate(db: Database): Promise<string[]> {
  const migrator = db.orm.getMigrator();
  const connection = db.orm.em.getConnection();
  const applied =
    db.kind === 'postgresql' && !(await servedByPGlite(db))
      ? await connection.transactional(async (transaction) => {
          await connection.execute('set local statement_timeout = 0', [], 'run', transaction);
          return migrator.up({ transaction });
        })
      : await migrator.up();
  return applied.map((migration) => migration.name);
}
