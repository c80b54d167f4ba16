import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { IdentityService, User, migrate, openIdentityDatabase, type Database } from 'graphql-sso/identity';
import { resolveSettings, writeKeyFile } from 'graphql-sso';
import { AccountArgs, createAuthorizationPayload } from './authorization.js';
import { Migration20261128100000AccountMember } from './migrations.js';

export const DEMO_ISSUER = 'graphql-sso-demo';

export interface DemoIdentityOptions {
  port: number;
  host?: string;
  /** A PostgreSQL URL; else the embedded database under `dataDir`. */
  databaseUrl?: string | null;
  /** Holds the embedded database and the signing key. */
  dataDir: string;
  /** The audiences of authorization tokens besides the identity service itself. */
  audiences: string[];
  logger: Logger;
  /** bcrypt cost (tests lower it). */
  passwordHashRounds?: number;
}

export interface DemoIdentity {
  url: string;
  origin: string;
  service: IdentityService;
  db: Database;
  close(): Promise<void>;
}

/** The newest key of the demo issuer under `dir`, created on first start. */
async function demoKeyFile(dir: string): Promise<string> {
  const existing = (await readdir(dir).catch(() => [] as string[])).filter(
    (name) => name.startsWith(`${DEMO_ISSUER}-`) && name.endsWith('.pem'),
  );
  const newest = existing.sort().at(-1);
  if (newest) return newest;
  const path = await writeKeyFile({ issuer: DEMO_ISSUER, dir });
  return path.slice(dir.length + 1);
}

/**
 * The identity service of the demo: `obtainAuthorizationToken(account: ID!)` (see
 * `authorization.ts`), tokens addressed to itself and to the other subgraphs.
 */
export async function startDemoIdentity(options: DemoIdentityOptions): Promise<DemoIdentity> {
  const keyDir = join(options.dataDir, 'keys');
  const keyFile = await demoKeyFile(keyDir);
  const settings = resolveSettings({
    identity: DEMO_ISSUER,
    keyStoreRoot: keyDir,
    privateKeys: { [DEMO_ISSUER]: [keyFile] },
    authorizationAudience: [DEMO_ISSUER, ...options.audiences],
    authorizationArgs: AccountArgs,
    createAuthorizationPayload,
    migrations: [Migration20261128100000AccountMember],
    passwordHashRounds: options.passwordHashRounds ?? 12,
    // The demo's gateway runs on this machine: its X-Forwarded-For names the clients. In
    // production, list your gateways' and load balancers' addresses instead.
    trustProxy: 'loopback',
  });
  const db = await openIdentityDatabase({ settings, url: options.databaseUrl ?? null, dataDir: options.dataDir, logger: options.logger });
  try {
    await migrate(db);
    const service = await IdentityService.create({ settings, orm: db.orm, logger: options.logger, notifications: db.notifications });
    const url = await service.listen(options.port, options.host);
    return {
      url,
      origin: new URL(url).origin,
      service,
      db,
      async close() {
        await service.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

export interface DemoMember {
  username: string;
  account: string;
  role: 'owner' | 'member';
}

/**
 * Creates the demo's users (when missing) and their account memberships; returns the user ids
 * by username, which other subgraphs key their data by.
 */
export async function seedDemoIdentity(identity: DemoIdentity, password: string, members: DemoMember[]): Promise<Map<string, string>> {
  const { users, orm } = identity.service.services;
  const ids = new Map<string, string>();
  for (const username of new Set(members.map((member) => member.username))) {
    const existing = await orm.em.fork().findOne(User, { username });
    const user = existing ?? (await users.create({ username, password, email: `${username}@example.com` }));
    ids.set(username, user.id);
  }
  const connection = orm.em.fork().getConnection();
  for (const member of members) {
    await connection.execute(
      'insert into account_member (account_id, user_id, role) values (?, ?, ?) on conflict (account_id, user_id) do update set role = excluded.role',
      [member.account, ids.get(member.username), member.role],
    );
  }
  return ids;
}
