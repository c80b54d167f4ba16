import 'reflect-metadata';
import { Command, InvalidArgumentError, Option } from 'commander';
import { printSubgraphSchema } from '@apollo/subgraph';
import { resolveSettings } from '../config/resolve.js';
import { migrate } from '../db/index.js';
import { SsoError } from '../errors.js';
import { buildIdentitySchema } from '../identity/schema.js';
import { UserService } from '../identity/user-service.js';
import { writeKeyFile } from '../jwt/generate-key.js';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../jwt/lib/algorithms.js';
import { IdentityService } from '../server/identity-service.js';
import { createCliLogger, openIdentityDatabase, readConfig, serveSettings } from './runtime.js';

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
  .description('run the identity service (POST /graphql, GET /.well-known/jwks.json, GET /healthz)')
  .addOption(new Option('-p, --port <port>', 'port to listen on').env('PORT').default(4000).argParser(port))
  .option('--host <host>', 'interface to listen on (default: all)')
  .option('-c, --config <file>', 'settings file (.js or .json); default $SSO_CONFIG')
  .option('--no-migrate', 'do not apply pending migrations at start-up')
  .action(async (options: { port: number; host?: string; config?: string; migrate: boolean }) => {
    const logger = createCliLogger();
    const settings = await serveSettings(await readConfig(options.config), logger);
    const db = await openIdentityDatabase(logger, { serveEmbedded: true });
    try {
      if (options.migrate) {
        const applied = await migrate(db);
        if (applied.length > 0) logger.info({ migrations: applied }, 'Applied database migrations');
      }
      const service = await IdentityService.create({ settings, orm: db.orm, logger });
      const url = await service.listen(options.port, options.host);
      logger.info({ url, database: db.describe(), identity: settings.identity }, 'Identity service ready');
      process.stdout.write(startBanner(url));
      const stop = async (signal: string) => {
        logger.info({ signal }, 'Shutting down');
        await service.close();
        await db.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    } catch (error) {
      await db.close();
      throw error;
    }
  });

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
