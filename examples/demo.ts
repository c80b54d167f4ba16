import 'reflect-metadata';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { startGateway, type Gateway } from './gateway/server.js';
import { DEMO_ISSUER, seedDemoIdentity, startDemoIdentity, type DemoIdentity } from './identity/service.js';
import { startOtherapp, type Otherapp } from './otherapp/server.js';

export const DEMO_PASSWORD = 'demo-password';

export interface DemoOptions {
  /** Gateway port; identity listens on `port + 1`, otherapp on `port + 2`. 0: any free ports. */
  port: number;
  host?: string;
  /** Embedded databases and the signing key live here (`.data/demo`). */
  dataDir: string;
  /** PostgreSQL URLs of the identity service and otherapp (may be the same); else embedded. */
  databaseUrls?: { identity?: string | null; otherapp?: string | null };
  logger: Logger;
  passwordHashRounds?: number;
}

export interface Demo {
  gateway: Gateway;
  identity: DemoIdentity;
  otherapp: Otherapp;
  /** User ids by username. */
  users: Map<string, string>;
  close(): Promise<void>;
}

const portAfter = (port: number, offset: number) => (port === 0 ? 0 : port + offset);

/**
 * Starts the identity service, otherapp and the gateway composing them, and seeds the demo's
 * data: users alice and bob; account 1 owned by alice, account 2 with bob as a plain member.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { host, logger } = options;
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of started.reverse()) await service.close();
  };
  try {
    const identity = await startDemoIdentity({
      port: portAfter(options.port, 1),
      host,
      databaseUrl: options.databaseUrls?.identity,
      dataDir: resolve(options.dataDir, 'identity'),
      audiences: ['otherapp'],
      logger: logger.child({ service: 'identity' }),
      passwordHashRounds: options.passwordHashRounds,
    });
    started.push(identity);
    const users = await seedDemoIdentity(identity, DEMO_PASSWORD, [
      { username: 'alice', account: '1', role: 'owner' },
      { username: 'bob', account: '2', role: 'member' },
    ]);

    const otherapp = await startOtherapp({
      port: portAfter(options.port, 2),
      host,
      issuer: DEMO_ISSUER,
      jwksUrl: `${identity.origin}/.well-known/jwks.json`,
      databaseUrl: options.databaseUrls?.otherapp,
      dataDir: resolve(options.dataDir, 'otherapp'),
      logger: logger.child({ service: 'otherapp' }),
    });
    started.push(otherapp);
    const accounts = otherapp.accounts();
    await accounts.save({ id: '1', name: 'Alice & Co', balance: 1200 }, [users.get('alice')!]);
    await accounts.save({ id: '2', name: 'Bob’s club', balance: 300 }, [users.get('bob')!]);

    const gateway = await startGateway({
      port: options.port,
      host,
      subgraphs: [
        { name: 'identity', url: identity.url },
        { name: 'otherapp', url: otherapp.url },
      ],
      logger: logger.child({ service: 'gateway' }),
    });
    started.push(gateway);
    return { gateway, identity, otherapp, users, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Shell commands that walk the demo through the gateway at `url`; each prints what it shows. */
export function demoWalkthrough(url: string): string {
  const post = (auth: string, query: string) =>
    `curl -s ${url} -H 'content-type: application/json'${auth} -d '${JSON.stringify({ query })}'`;
  const TOKEN_OF = `sed -E 's/.*"token":"([^"]+)".*/\\1/'`;
  const bearer = (variable: string) => ` -H "Authorization: JWT $${variable}"`;
  return `# 1. alice logs in (a session token) and gets an authorization token for account 1
SESSION=$(${post('', 'mutation { obtainSessionToken(username: "alice", password: "demo-password") { token } }')} | ${TOKEN_OF})
TOKEN=$(${post(bearer('SESSION'), 'mutation { obtainAuthorizationToken(account: "1") { token } }')} | ${TOKEN_OF})

# 2. one query, two subgraphs: alice (identity) and her accounts with balance (otherapp)
${post(bearer('TOKEN'), '{ me { username accounts { id name balance } } account(id: "1") { name balance } }')}

# 3. account 2 is not hers: null and FORBIDDEN (the account-member policy)
${post(bearer('TOKEN'), '{ account(id: "2") { name } }')}

# 4. bob is a plain member of account 2: its name, but no balance (FORBIDDEN: missing scope)
BOB=$(${post('', 'mutation { obtainSessionToken(username: "bob", password: "demo-password") { token } }')} | ${TOKEN_OF})
BOB_TOKEN=$(${post(bearer('BOB'), 'mutation { obtainAuthorizationToken(account: "2") { token } }')} | ${TOKEN_OF})
${post(bearer('BOB_TOKEN'), '{ account(id: "2") { name balance } }')}

# 5. bob cannot mint a token for account 1 (FORBIDDEN); anonymous callers get only public fields
${post(bearer('BOB'), 'mutation { obtainAuthorizationToken(account: "1") { token } }')}
${post('', '{ publicStatus account(id: "1") { name } }')}
`;
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: undefined }, pino.destination(2));
  const port = Number(process.env.DEMO_PORT ?? 4000);
  const url = process.env.DATABASE_URL || null;
  const demo = await startDemo({ port, dataDir: resolve(process.env.SSO_DATA_DIR ?? '.data', 'demo'), databaseUrls: { identity: url, otherapp: url }, logger });
  process.stdout.write(`graphql-sso demo
  gateway   ${demo.gateway.url}
  identity  ${demo.identity.url}
  otherapp  ${demo.otherapp.url}
Users alice and bob, password ${DEMO_PASSWORD}. Account 1: alice is its owner; account 2: bob is a member.
Try it with curl, in another terminal:

${demoWalkthrough(demo.gateway.url)}
Ctrl-C stops the demo.
`);
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
