import 'reflect-metadata';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { startGatewayProcess } from './gateway/process.js';
import { composeFromSubgraphs } from './hive-gateway/compose.js';
import { startHiveGateway } from './hive-gateway/start.js';
import { DEMO_ISSUER, seedDemoIdentity, startDemoIdentity, type DemoIdentity } from './identity/service.js';
import type { ServiceProcess } from './lib/service-process.js';
import { startOtherapp, type Otherapp } from './otherapp/server.js';

export const DEMO_PASSWORD = 'demo-password';

/** Which gateway the demo puts in front: `@apollo/gateway` (examples/gateway) or Hive Gateway (examples/hive-gateway). */
export type DemoGatewayKind = 'apollo' | 'hive';

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
  /** Default `apollo`. */
  gateway?: DemoGatewayKind;
  /** Hive Gateway only: the gateway verifies tokens too (gateway.config.ts with `SSO_JWKS_URL`). */
  gatewayAuth?: boolean;
  /** Where the gateway's logs go once it serves; default: nowhere. */
  gatewayOutput?: NodeJS.WritableStream;
  /** Hive Gateway's installation progress. */
  log?: (message: string) => void;
}

export interface DemoGateway extends ServiceProcess {
  kind: DemoGatewayKind;
}

export interface Demo {
  /** The gateway, in a process of its own. */
  gateway: DemoGateway;
  /** The full supergraph of the two subgraphs, authorization directives included (what Hive Gateway and Apollo Router load). */
  supergraphSdl: string;
  identity: DemoIdentity;
  otherapp: Otherapp;
  /** User ids by username. */
  users: Map<string, string>;
  close(): Promise<void>;
}

const portAfter = (port: number, offset: number) => (port === 0 ? 0 : port + offset);

/**
 * Starts the identity service and otherapp (in this process) and the gateway composing them (in
 * a process of its own, so that it does not take the subgraphs' event loop and core), and seeds
 * the demo's data: users alice and bob; account 1 owned by alice, account 2 with bob as a plain
 * member.
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

    const subgraphs = [
      { name: 'identity', url: identity.url },
      { name: 'otherapp', url: otherapp.url },
    ];
    const supergraphSdl = await composeFromSubgraphs(subgraphs);
    const kind = options.gateway ?? 'apollo';
    const gatewayProcess =
      kind === 'hive'
        ? await startHiveGateway({
            port: options.port,
            host,
            supergraphSdl,
            runDir: resolve(options.dataDir, 'hive-gateway'),
            env: options.gatewayAuth
              ? {
                  SSO_JWKS_URL: `${identity.origin}/.well-known/jwks.json`,
                  SSO_ISSUERS: DEMO_ISSUER,
                  SSO_AUDIENCES: [DEMO_ISSUER, 'otherapp'].join(','),
                }
              : {},
            log: options.log,
            output: options.gatewayOutput,
          })
        : await startGatewayProcess({ port: options.port, host, subgraphs, output: options.gatewayOutput });
    const gateway: DemoGateway = { ...gatewayProcess, kind };
    started.push(gateway);
    return { gateway, supergraphSdl, identity, otherapp, users, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Shell commands that walk the demo through the gateway at `url`; each prints what it shows. */
export function demoWalkthrough(url: string): string {
  const post = (auth: string, query: string) =>
    `curl -s ${url} -H 'content-type: application/json'${auth} -d '${JSON.stringify({ query })}'`;
  // Some gateways end an answer with a newline, others not: each printed answer gets a line of its own.
  const show = (auth: string, query: string) => post(auth, query).replace('curl -s ', "curl -s -w '\\n' ");
  const TOKEN_OF = `sed -E 's/.*"token":"([^"]+)".*/\\1/'`;
  const bearer = (variable: string) => ` -H "Authorization: JWT $${variable}"`;
  return `# 1. alice logs in (a session token) and gets an authorization token for account 1
SESSION=$(${post('', 'mutation { obtainSessionToken(username: "alice", password: "demo-password") { token } }')} | ${TOKEN_OF})
TOKEN=$(${post(bearer('SESSION'), 'mutation { obtainAuthorizationToken(account: "1") { token } }')} | ${TOKEN_OF})

# 2. one query, two subgraphs: alice (identity) and her accounts with balance (otherapp)
${show(bearer('TOKEN'), '{ me { username accounts { id name balance } } account(id: "1") { name balance } }')}

# 3. account 2 is not hers: null and FORBIDDEN (the account-member policy)
${show(bearer('TOKEN'), '{ account(id: "2") { name } }')}

# 4. bob is a plain member of account 2: its name, but no balance (FORBIDDEN: missing scope)
BOB=$(${post('', 'mutation { obtainSessionToken(username: "bob", password: "demo-password") { token } }')} | ${TOKEN_OF})
BOB_TOKEN=$(${post(bearer('BOB'), 'mutation { obtainAuthorizationToken(account: "2") { token } }')} | ${TOKEN_OF})
${show(bearer('BOB_TOKEN'), '{ account(id: "2") { name balance } }')}

# 5. bob cannot mint a token for account 1 (FORBIDDEN); anonymous callers get only public fields
${show(bearer('BOB'), 'mutation { obtainAuthorizationToken(account: "1") { token } }')}
${show('', '{ publicStatus account(id: "1") { name } }')}
`;
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: undefined }, pino.destination(2));
  const port = Number(process.env.DEMO_PORT ?? 4000);
  const url = process.env.DATABASE_URL || null;
  const gateway = process.env.DEMO_GATEWAY ?? 'apollo';
  if (gateway !== 'apollo' && gateway !== 'hive')
    throw new Error(`DEMO_GATEWAY is "apollo" (the default) or "hive", not ${JSON.stringify(gateway)}.`);
  if (process.env.DEMO_GATEWAY_AUTH === '1' && gateway !== 'hive')
    throw new Error('DEMO_GATEWAY_AUTH=1 is for DEMO_GATEWAY=hive (@apollo/gateway checks no token).');
  const demo = await startDemo({
    port,
    dataDir: resolve(process.env.SSO_DATA_DIR ?? '.data', 'demo'),
    databaseUrls: { identity: url, otherapp: url },
    logger,
    gateway,
    gatewayAuth: process.env.DEMO_GATEWAY_AUTH === '1',
    gatewayOutput: process.stderr,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  const label =
    gateway === 'hive' ? `Hive Gateway${process.env.DEMO_GATEWAY_AUTH === '1' ? ', checking tokens too' : ''}` : '@apollo/gateway';
  process.stdout.write(`graphql-sso demo
  gateway   ${demo.gateway.url}  (${label}, its own process)
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
