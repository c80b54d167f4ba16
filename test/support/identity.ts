import { resolveSettings } from '../../src/config/resolve.js';
import type { SsoConfig } from '../../src/config/settings.js';
import { migrate, openDatabase, type Database } from '../../src/db/index.js';
import { identityEntities, SessionToken } from '../../src/identity/entities/index.js';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { KeyStore } from '../../src/jwt/key-store.js';
import { IdentityService, type IdentityServiceOptions } from '../../src/server/identity-service.js';
import { createTestDatabase, createTestLogger, type TestDatabase } from './database.js';
import { createKeyDir, type TestKeyDir } from './keys.js';

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
  };
}

export interface TestIdentity {
  service: IdentityService;
  url: string;
  origin: string;
  db: Database;
  /** The database's URL, for a second process to share it. */
  databaseUrl: string;
  keys: TestKeyDir;
  /** Sends a GraphQL request; `auth` is the whole Authorization header value, or a token for `JWT <token>`. */
  graphql(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string; authorization?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse>;
  createUser(username: string, password: string, options?: { email?: string; isActive?: boolean }): Promise<{ id: string }>;
  login(username: string, password: string, options?: { clientId?: string; headers?: Record<string, string> }): Promise<string>;
  /**
   * Revokes a session behind the service's back, with SQL as an operator would, and waits until
   * the service's session cache (if live) has dropped it: the notification takes milliseconds.
   */
  revokeInDatabase(sessionId: string): Promise<void>;
  /** `obtainAuthorizationToken`, with literal arguments such as `account: "1"`. */
  mint(sessionToken: string, args?: string): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export const LOGIN = `mutation Login($username: String!, $password: String!, $clientId: String) {
  obtainSessionToken(username: $username, password: $password, clientId: $clientId) { token }
}`;

/**
 * A running identity service on a fresh PostgreSQL database (TEST_DATABASE_URL's server, or
 * embedded PGlite) with a fresh `myapp` key; bcrypt at its lowest cost to keep tests fast.
 */
export async function startIdentity(
  config: SsoConfig = {},
  options: Partial<Pick<IdentityServiceOptions, 'resolvers' | 'sessions' | 'nodeEnv' | 'logger' | 'loginThrottle'>> & {
    extraKeys?: string[];
    /** The URL the service connects to, given the test database's (e.g. a proxy's in front of it). */
    connectTo?: (url: string) => Promise<string>;
  } = {},
): Promise<TestIdentity> {
  const keys = createKeyDir();
  const keyFile = await keys.add('myapp-20200410');
  const testDb: TestDatabase = await createTestDatabase();
  const logger = options.logger ?? createTestLogger();
  const connectUrl = options.connectTo ? await options.connectTo(testDb.url) : testDb.url;
  const timeout = config.databaseTimeout === undefined ? undefined : config.databaseTimeout * 1000;
  const db = await openDatabase({
    url: connectUrl,
    dataDir: keys.root,
    entities: identityEntities,
    migrations: identityMigrations,
    logger,
    timeout,
  });
  await migrate(db);
  const settings = resolveSettings({
    identity: 'myapp',
    keyStoreRoot: keys.root,
    privateKeys: { myapp: [keyFile] },
    publicKeys: { myapp: [keyFile, ...(options.extraKeys ?? [])] },
    passwordHashRounds: 4,
    ...config,
  });
  const service = await IdentityService.create({ settings, orm: db.orm, logger, keys: KeyStore.load(settings), ...options });
  const url = await service.listen(0, '127.0.0.1');

  const graphql: TestIdentity['graphql'] = async (query, { variables, token, authorization, headers = {} } = {}) => {
    const auth = authorization ?? (token ? `JWT ${token}` : undefined);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
  };

  return {
    service,
    url,
    origin: new URL(url).origin,
    db,
    databaseUrl: testDb.url,
    keys,
    graphql,
    async createUser(username, password, { email, isActive } = {}) {
      return service.services.users.create({ username, password, email, isActive });
    },
    async login(username, password, { clientId, headers } = {}) {
      const response = await graphql(LOGIN, { variables: { username, password, clientId }, headers });
      if (!response.body.data?.obtainSessionToken) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
      return response.body.data.obtainSessionToken.token as string;
    },
    async revokeInDatabase(sessionId) {
      await db.orm.em.fork().nativeUpdate(SessionToken, { id: sessionId }, { revokedAt: new Date() });
      const deadline = Date.now() + 2000;
      while (service.services.sessionCache.get(sessionId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    },
    mint(sessionToken, args) {
      return graphql(`mutation { obtainAuthorizationToken${args ? `(${args})` : ''} { token } }`, { token: sessionToken });
    },
    async close() {
      await service.close();
      await db.close();
      await testDb.close();
      keys.remove();
    },
  };
}

/** The payload of a JWT, unverified: for asserting what a token carries. */
export function payloadOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}
