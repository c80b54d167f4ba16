import { Command, InvalidArgumentError, Option } from 'commander';
import { SsoError } from '../errors.js';
import { writeKeyFile } from '../jwt/generate-key.js';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../jwt/lib/algorithms.js';
import { importFeature } from '../lib/optional-packages.js';
import { isClusterWorker } from './cluster.js';
import { rotateKey } from './rotate-key.js';
import { createCliLogger } from './runtime.js';
import type { ServeOptions } from './serve.js';

/**
 * The commands that run the identity service load its packages (MikroORM, type-graphql, ...)
 * only when they run, so that `keys generate` works without them and a missing one is named.
 */
const identityCommands = () => importFeature('graphql-sso/identity', () => import('./identity-commands.js'));
const serveCommand = () => importFeature('graphql-sso/identity', () => import('./serve.js'));

const CONFIG_HELP = 'settings file (.json, .js, .mjs, or .ts/.mts with tsx installed); default $SSO_CONFIG';

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
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const program = new Command('graphql-sso')
  .description('Single sign-on for GraphQL microservices: the identity service and its tools')
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'run the identity service (POST /graphql, GET /.well-known/jwks.json, GET /healthz, GET /readyz); SIGHUP reloads its key files, SIGTERM drains',
  )
  .addOption(new Option('-p, --port <port>', 'port to listen on').env('PORT').default(4000).argParser(port))
  .option('--host <host>', 'interface to listen on (default: the host setting, else all)')
  .option('-c, --config <file>', CONFIG_HELP)
  .option('--no-migrate', 'do not apply pending migrations at start-up')
  .addOption(
    new Option('-w, --workers <n>', 'processes serving the port together (node:cluster); more than 1 needs DATABASE_URL')
      .default(1)
      .argParser(workerCount),
  )
  .action(async (options: ServeOptions) => {
    const logger = createCliLogger();
    const { servePrimary, serveProcess } = await serveCommand();
    if (options.workers > 1 && !isClusterWorker()) return servePrimary(options, logger);
    return serveProcess(options, logger);
  });

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
  .addOption(
    new Option('--algorithm <alg>', "signing algorithm (default: the config's encodeAlgorithm, else RS256)").choices(SUPPORTED_ALGORITHMS),
  )
  .action(async (options: { issuer: string; config?: string; dir?: string; algorithm?: Algorithm }) => {
    const config = options.config || process.env.SSO_CONFIG;
    if (!config) throw new InvalidArgumentError('no config to update: pass --config FILE or set SSO_CONFIG');
    const result = await rotateKey({ issuer: options.issuer, config, dir: options.dir, algorithm: options.algorithm });
    const lines = [`Key file: ${result.file}`, `Key id (kid): ${result.kid}`];
    if (result.updated) {
      lines.push(`Updated ${result.config}:`, ...result.change.map((line) => `  ${line}`));
    } else {
      lines.push(
        `${result.config} is not rewritten (only .json configs are); make this change in it:`,
        ...result.change.map((line) => `  ${line}`),
      );
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
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { username: string; email?: string; passwordStdin?: boolean; config?: string }) => {
    if (!options.passwordStdin) {
      throw new InvalidArgumentError(
        '--password-stdin is required: pipe the password in, e.g. printf %s "$PASSWORD" | graphql-sso users create --username alice --password-stdin',
      );
    }
    const password = await readStdin();
    const { createUser } = await identityCommands();
    process.stdout.write(`${await createUser(options, password)}\n`);
  });

/** Runs `change` on the user named `username` and prints what it says. */
async function withUser(
  configPath: string | undefined,
  username: string,
  change: (users: import('../identity/user-service.js').UserService, userId: string) => Promise<string>,
): Promise<void> {
  const { changeUser } = await identityCommands();
  process.stdout.write(`${await changeUser(configPath, username, change)}\n`);
}

const revokedNote = (count: number) => `${count} session${count === 1 ? '' : 's'} revoked`;

users
  .command('set-password')
  .description("set a user's password, read from standard input; revokes all of the user's sessions")
  .requiredOption('--username <username>', 'login name')
  .option('--password-stdin', 'read the password from standard input (required: never pass it as an argument)')
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { username: string; passwordStdin?: boolean; config?: string }) => {
    if (!options.passwordStdin) {
      throw new InvalidArgumentError(
        '--password-stdin is required: pipe the password in, e.g. printf %s "$PASSWORD" | graphql-sso users set-password --username alice --password-stdin',
      );
    }
    const password = await readStdin();
    await withUser(
      options.config,
      options.username,
      async (users, id) => `Password changed for ${options.username}; ${revokedNote(await users.setPassword(id, password))}`,
    );
  });

users
  .command('deactivate')
  .description('refuse a user from now on: revokes all of their sessions and fails their logins')
  .requiredOption('--username <username>', 'login name')
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { username: string; config?: string }) => {
    await withUser(
      options.config,
      options.username,
      async (users, id) => `Deactivated ${options.username}; ${revokedNote(await users.setActive(id, false))}`,
    );
  });

users
  .command('activate')
  .description('let a deactivated user log in again')
  .requiredOption('--username <username>', 'login name')
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { username: string; config?: string }) => {
    await withUser(options.config, options.username, async (users, id) => {
      await users.setActive(id, true);
      return `Activated ${options.username}`;
    });
  });

program
  .command('migrate')
  .description("apply pending database migrations: the identity service's, then the config's own (its migrations setting)")
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { config?: string }) => {
    const { migrateDatabase } = await identityCommands();
    process.stdout.write(`${await migrateDatabase(options.config)}\n`);
  });

program
  .command('schema')
  .description("print the identity service's GraphQL SDL")
  .option('-c, --config <file>', CONFIG_HELP)
  .action(async (options: { config?: string }) => {
    const { printIdentitySchema } = await identityCommands();
    process.stdout.write(`${await printIdentitySchema(options.config)}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof SsoError || error instanceof InvalidArgumentError) {
    process.stderr.write(`graphql-sso: ${error.message}\n`);
  } else {
    process.stderr.write(`graphql-sso: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
