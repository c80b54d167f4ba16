import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { Logger } from 'pino';
import { createSsoContext, errorLogPlugin, formatSsoError, requestLimits, resolveSettings } from 'graphql-sso';
import { migrate, openDatabase, type Database } from 'graphql-sso/identity';
import { otherappEntities, type LocalUser } from './entities.js';
import { otherappMigrations } from './migrations.js';
import { buildOtherappSchema, type OtherappContext } from './schema.js';
import { AccountService, getOrCreateLocalUser } from './services.js';

export interface OtherappOptions {
  port: number;
  host?: string;
  /** The identity service's name: the `iss` of the tokens otherapp accepts. */
  issuer: string;
  /** Where the issuer publishes its public keys; or give `keyStoreRoot` + `publicKeys`. */
  jwksUrl?: string;
  keyStoreRoot?: string;
  publicKeys?: Record<string, string | string[]>;
  databaseUrl?: string | null;
  /** Holds the embedded database when there is no `databaseUrl`. */
  dataDir: string;
  logger: Logger;
}

export interface Otherapp {
  url: string;
  db: Database;
  accounts(): AccountService;
  close(): Promise<void>;
}

/**
 * A second subgraph: it never calls the identity service per request. It verifies authorization
 * tokens with the issuer's public keys (the original's "otherapp" settings, JWKS or PEM files),
 * keeps a local user per token subject, and enforces `@authenticated`, `@requiresScopes` and
 * `@policy` itself; `requestLimits` holds its requests to `settings.limits`.
 */
export async function startOtherapp(options: OtherappOptions): Promise<Otherapp> {
  const settings = resolveSettings({
    identity: 'otherapp',
    verifySessionToken: false,
    acceptedIssuers: [options.issuer],
    ...(options.jwksUrl ? { jwksUrls: { [options.issuer]: options.jwksUrl } } : {}),
    ...(options.publicKeys ? { keyStoreRoot: options.keyStoreRoot ?? null, publicKeys: options.publicKeys } : {}),
    authenticatePayload: getOrCreateLocalUser,
  });
  const db = await openDatabase({
    url: options.databaseUrl,
    dataDir: options.dataDir,
    entities: otherappEntities,
    migrations: otherappMigrations,
    logger: options.logger,
  });
  try {
    await migrate(db);
    const limits = requestLimits<OtherappContext>(settings);
    const apollo = new ApolloServer<OtherappContext>({
      schema: buildOtherappSchema(),
      logger: options.logger,
      formatError: formatSsoError,
      includeStacktraceInErrorResponses: false,
      stopOnTerminationSignals: false,
      ...limits,
      // What a resolver, a policy or getOrCreateLocalUser throws unexpectedly is logged with its cause.
      plugins: [errorLogPlugin(options.logger), ...limits.plugins],
    });
    const authenticate = createSsoContext<LocalUser>({ settings, orm: db.orm, logger: options.logger });
    const { url } = await startStandaloneServer(apollo, {
      context: async ({ req }) => ({ ...(await authenticate({ req })), accounts: new AccountService(db.orm.em.fork()) }),
      listen: { port: options.port, host: options.host },
    });
    const graphqlUrl = new URL('/graphql', url).toString();
    return {
      url: graphqlUrl,
      db,
      accounts: () => new AccountService(db.orm.em.fork()),
      async close() {
        await apollo.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
