import type { Logger } from 'pino';
import { InvalidArgumentError } from 'commander';
import { migrate, type Database } from '../db/database.js';
import { openIdentityDatabase } from '../identity/database.js';
import { IdentityService } from '../server/identity-service.js';
import { isClusterWorker, leaveSigintToPrimary, nameWorkerInResponses, runCluster } from './cluster.js';
import { readConfig, rereadConfig, serveSettings, settingsNeedingRestart } from './runtime.js';

export interface ServeOptions {
  port: number;
  host?: string;
  config?: string;
  migrate: boolean;
  workers: number;
}

async function applyMigrations(db: Database, logger: Logger): Promise<void> {
  const applied = await migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'Applied database migrations');
}

/**
 * `serve --workers N` (N > 1), the primary: settings (and the development key) and migrations
 * (the identity's and the config's) once, then N workers that each run `serveProcess` on the shared port.
 */
export async function servePrimary(options: ServeOptions, logger: Logger): Promise<void> {
  if (!process.env.DATABASE_URL) {
    throw new InvalidArgumentError(
      `--workers ${options.workers} needs DATABASE_URL (a PostgreSQL server): the embedded database lives in one process ` +
        'and runs one query at a time, so further processes would only queue on it. Use --workers 1, or set DATABASE_URL.',
    );
  }
  const settings = await serveSettings(await readConfig(options.config), logger);
  if (options.migrate) {
    const db = await openIdentityDatabase({ settings, logger });
    try {
      await applyMigrations(db, logger);
    } finally {
      await db.close();
    }
  }
  runCluster({
    workers: options.workers,
    logger,
    onListening: ({ address, port: listening }) => {
      const shown = [options.host ?? settings.host, address].find((host) => host && host !== '0.0.0.0' && host !== '::') ?? 'localhost';
      const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${listening}/graphql`;
      logger.info({ url, workers: options.workers }, 'Identity service ready');
      process.stdout.write(startBanner(url));
    },
  });
}

/** `serve` in this process: the whole service, or one worker of `serve --workers N`. */
export async function serveProcess(options: ServeOptions, logger: Logger): Promise<void> {
  const worker = isClusterWorker();
  if (worker) leaveSigintToPrimary();
  const settings = await serveSettings(await readConfig(options.config), logger);
  const db = await openIdentityDatabase({ settings, logger, serveEmbedded: !worker });
  try {
    // A worker's primary has migrated already.
    if (options.migrate && !worker) await applyMigrations(db, logger);
    const service = await IdentityService.create({
      settings,
      orm: db.orm,
      logger,
      notifications: db.notifications,
      processes: options.workers,
    });
    if (worker) nameWorkerInResponses(service.server);
    const url = await service.listen(options.port, options.host ?? settings.host ?? undefined);
    logger.info({ url, database: db.describe(), identity: settings.identity }, worker ? 'Worker ready' : 'Identity service ready');
    // SIGHUP: read the config again and swap in its keys; one reload at a time, in order.
    let reloading = Promise.resolve();
    const reload = async () => {
      try {
        const next = await serveSettings(await rereadConfig(options.config), logger);
        service.reloadKeys(next);
        const restart = settingsNeedingRestart(settings, next);
        if (restart.length > 0) logger.warn({ settings: restart }, 'Changed settings other than keys take effect at restart');
        logger.info({ kid: service.services.keys.getSigningKey(settings.identity!).kid }, 'Reloaded keys');
      } catch (error) {
        logger.error({ err: error }, 'Reload failed: keeping the current keys');
      }
    };
    process.on('SIGHUP', () => {
      reloading = reloading.then(reload);
    });
    if (!worker) process.stdout.write(startBanner(url));
    const stop = async (signal: string) => {
      logger.info({ signal }, 'Shutting down');
      await service.close();
      await db.close();
      process.exit(0);
    };
    if (!worker) process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (error) {
    await db.close();
    throw error;
  }
}

function startBanner(url: string): string {
  const login = JSON.stringify({
    query: 'mutation { obtainSessionToken(username: "alice", password: "correct horse battery staple") { token } }',
  });
  return `
graphql-sso identity service: ${url}

Create a user (in another terminal):
  printf '%s' 'correct horse battery staple' | npx graphql-sso users create --username alice --password-stdin
Log in:
  curl -s ${url} -H 'content-type: application/json' -d '${login}'

`;
}
