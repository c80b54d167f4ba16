import 'reflect-metadata';
import { Command, InvalidArgumentError, Option } from 'commander';
import { printSubgraphSchema } from '@apollo/subgraph';
import type { Logger } from 'pino';
import { resolveSettings } from '../config/resolve.js';
import { migrate, type Database } from '../db/index.js';
import { InputError, SsoError } from '../errors.js';
import { buildIdentitySchema } from '../identity/schema.js';
import { UserService } from '../identity/user-service.js';
import { writeKeyFile } from '../jwt/generate-key.js';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../jwt/lib/algorithms.js';
import { IdentityService } from '../server/identity-service.js';
import { isClusterWorker, leaveSigintToPrimary, nameWorkerInResponses, runCluster } from './cluster.js';
import { rotateKey } from './rotate-key.js';
import { createCliLogger, openIdentityDatabase, readConfig, rereadConfig, serveSettings, settingsNeedingRestart } from './runtime.js';

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be a whole number of processes from 1 to 64');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const program = new Command('graphql-sso')
  .description('Single sign-on for GraphQL microservices: the identity service and its tools')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the identity service (POST /graphql, GET /.well-known/jwks.json, GET /healthz, GET /readyz); SIGHUP reloads its key files, SIGTERM drains')
  .addOption(new Option('-p, --port <port>', 'port to listen on').env('PORT').default(4000).argParser(port))
  .option('--host <host>', 'interface to listen on (default: all)')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .option('--no-migrate', 'do not apply pending migrations at start-up')
  .addOption(
    new Option('-w, --workers <n>', 'processes serving the port together (node:cluster); more than 1 needs DATABASE_URL')
      .default(1)
      .argParser(workerCount),
  )
  .action(async (options: ServeOptions) => {
    const logger = createCliLogger();
    if (options.workers > 1 && !isClusterWorker()) return servePrimary(options, logger);
    return serveProcess(options, logger);
  });

interface ServeOptions {
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
 * once, then N workers that each run `serveProcess` on the shared port.
 */
async function servePrimary(options: ServeOptions, logger: Logger): Promise<void> {
  if (!process.env.DATABASE_URL) {
    throw new InvalidArgumentError(
      `--workers ${options.workers} needs DATABASE_URL (a PostgreSQL server): the embedded database lives in one process ` +
        'and runs one query at a time, so further processes would only queue on it. Use --workers 1, or set DATABASE_URL.',
    );
  }
  await serveSettings(await readConfig(options.config), logger);
  if (options.migrate) {
    const db = await openIdentityDatabase(logger);
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
      const shown = [options.host, address].find((host) => host && host !== '0.0.0.0' && host !== '::') ?? 'localhost';
      const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${listening}/graphql`;
      logger.info({ url, workers: options.workers }, 'Identity service ready');
      process.stdout.write(startBanner(url));
    },
  });
}

/** `serve` in this process: the whole service, or one worker of `serve --workers N`. */
async function serveProcess(options: ServeOptions, logger: Logger): Promise<void> {
  const worker = isClusterWorker();
  if (worker) leaveSigintToPrimary();
  const settings = await serveSettings(await readConfig(options.config), logger);
  const db = await openIdentityDatabase(logger, { serveEmbedded: !worker, settings });
  try {
    // A worker's primary has migrated already.
    if (options.migrate && !worker) await applyMigrations(db, logger);
    const service = await IdentityService.create({ settings, orm: db.orm, logger });
    if (worker) nameWorkerInResponses(service.server);
    const url = await service.listen(options.port, options.host);
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
  printf '%s' 'correct horse battery staple' | node bin/graphql-sso.js users create --username alice --password-stdin
Log in:
  curl -s ${url} -H 'content-type: application/json' -d '${login}'

`;
}

const keys = program.command('keys').description('manage signing keys');
keys
  .command('generate')
  .description('write a new key pair (private and public key in one PEM file, named ISSUER-YYYYMMDD.pem) and print its path')
  .requiredOption('--issuer <name>', 'the issuer (identity) the key signs for')
  .addOption(new Option('--algorithm <alg>', 'signing algorithm').choices(SUPPORTED_ALGORITHMS).default('RS256'))
  .option('--dir <dir>', 'folder to write into', 'keys')
  .action(async (options: { issuer: string; algorithm: Algorithm; dir: string }) => {
    const file = await writeKeyFile({ issuer: options.issuer, algorithm: options.algorithm, dir: options.dir });
    process.stdout.write(`${file}\n`);
  });

keys
  .command('rotate')
  .description(
    'write a new key pair and list it first for the issuer in the config: a .json config is rewritten, ' +
      'for a .js/.mjs/.ts config the change to make is printed; older keys stay listed and keep verifying',
  )
  .requiredOption('--issuer <name>', 'the issuer (identity) the key signs for')
  .option('-c, --config <file>', 'settings file to update (.json, .js, .mjs, .ts); default $SSO_CONFIG')
  .option('--dir <dir>', "folder to write into (default: the config's keyStoreRoot)")
  .addOption(new Option('--algorithm <alg>', "signing algorithm (default: the config's encodeAlgorithm, else RS256)").choices(SUPPORTED_ALGORITHMS))
  .action(async (options: { issuer: string; config?: string; dir?: string; algorithm?: Algorithm }) => {
    const config = options.config || process.env.SSO_CONFIG;
    if (!config) throw new InvalidArgumentError('no config to update: pass --config FILE or set SSO_CONFIG');
    const result = await rotateKey({ issuer: options.issuer, config, dir: options.dir, algorithm: options.algorithm });
    const lines = [`Key file: ${result.file}`, `Key id (kid): ${result.kid}`];
    if (result.updated) {
      lines.push(`Updated ${result.config}:`, ...result.change.map((line) => `  ${line}`));
    } else {
      lines.push(`${result.config} is not rewritten (only .json configs are); make this change in it:`, ...result.change.map((line) => `  ${line}`));
    }
    lines.push(
      'Then reload the identity service (kill -HUP <pid of graphql-sso serve>) and give the new public key to services that read key files.',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });

const users = program.command('users').description('manage users');
users
  .command('create')
  .description('create a user; the password is read from standard input')
  .requiredOption('--username <username>', 'login name')
  .option('--email <email>', 'email address')
  .option('--password-stdin', 'read the password from standard input (required: never pass it as an argument)')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .action(async (options: { username: string; email?: string; passwordStdin?: boolean; config?: string }) => {
    if (!options.passwordStdin) {
      throw new InvalidArgumentError('--password-stdin is required: pipe the password in, e.g. printf %s "$PASSWORD" | graphql-sso users create --username alice --password-stdin');
    }
    const password = await readStdin();
    const logger = createCliLogger();
    const settings = resolveSettings(await readConfig(options.config));
    const db = await openIdentityDatabase(logger);
    try {
      await migrate(db);
      const user = await new UserService(db.orm, settings).create({ username: options.username, email: options.email, password });
      process.stdout.write(`Created user ${user.username} (${user.id})\n`);
    } finally {
      await db.close();
    }
  });

/** Runs `change` on the user named `username` with a migrated database; closes it after. */
async function withUser(configPath: string | undefined, username: string, change: (users: UserService, userId: string) => Promise<string>): Promise<void> {
  const logger = createCliLogger();
  const settings = resolveSettings(await readConfig(configPath));
  const db = await openIdentityDatabase(logger);
  try {
    await migrate(db);
    const users = new UserService(db.orm, settings);
    const user = await users.findByUsername(username);
    if (!user) throw new InputError(`No user named "${username}".`, 'NOT_FOUND');
    process.stdout.write(`${await change(users, user.id)}\n`);
  } finally {
    await db.close();
  }
}

const revokedNote = (count: number) => `${count} session${count === 1 ? '' : 's'} revoked`;

users
  .command('set-password')
  .description("set a user's password, read from standard input; revokes all of the user's sessions")
  .requiredOption('--username <username>', 'login name')
  .option('--password-stdin', 'read the password from standard input (required: never pass it as an argument)')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .action(async (options: { username: string; passwordStdin?: boolean; config?: string }) => {
    if (!options.passwordStdin) {
      throw new InvalidArgumentError('--password-stdin is required: pipe the password in, e.g. printf %s "$PASSWORD" | graphql-sso users set-password --username alice --password-stdin');
    }
    const password = await readStdin();
    await withUser(options.config, options.username, async (users, id) => `Password changed for ${options.username}; ${revokedNote(await users.setPassword(id, password))}`);
  });

users
  .command('deactivate')
  .description('refuse a user from now on: revokes all of their sessions and fails their logins')
  .requiredOption('--username <username>', 'login name')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .action(async (options: { username: string; config?: string }) => {
    await withUser(options.config, options.username, async (users, id) => `Deactivated ${options.username}; ${revokedNote(await users.setActive(id, false))}`);
  });

users
  .command('activate')
  .description('let a deactivated user log in again')
  .requiredOption('--username <username>', 'login name')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .action(async (options: { username: string; config?: string }) => {
    await withUser(options.config, options.username, async (users, id) => {
      await users.setActive(id, true);
      return `Activated ${options.username}`;
    });
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const logger = createCliLogger();
    const db = await openIdentityDatabase(logger);
    try {
      const applied = await migrate(db);
      process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
    } finally {
      await db.close();
    }
  });

program
  .command('schema')
  .description("print the identity service's GraphQL SDL")
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .action(async (options: { config?: string }) => {
    const settings = resolveSettings(await readConfig(options.config));
    process.stdout.write(`${printSubgraphSchema(await buildIdentitySchema(settings))}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof SsoError || error instanceof InvalidArgumentError) {
    process.stderr.write(`graphql-sso: ${error.message}\n`);
  } else {
    process.stderr.write(`graphql-sso: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
