import { printSubgraphSchema } from '@apollo/subgraph';
import { resolveSettings } from '../config/resolve.js';
import type { SsoSettings } from '../config/settings.js';
import { migrate, type Database } from '../db/database.js';
import { InputError } from '../errors.js';
import { openIdentityDatabase } from '../identity/database.js';
import { buildIdentitySchema } from '../identity/schema.js';
import { UserService } from '../identity/user-service.js';
import { createCliLogger, readConfig } from './runtime.js';

/**
 * Runs `work` on the database with the config's entities and migrations, migrated first (the
 * application's migrations too); closes it after.
 */
async function withMigratedDatabase<T>(
  configPath: string | undefined,
  work: (db: Database, settings: SsoSettings) => Promise<T>,
): Promise<T> {
  const settings = resolveSettings(await readConfig(configPath));
  const db = await openIdentityDatabase({ settings, logger: createCliLogger() });
  try {
    await migrate(db);
    return await work(db, settings);
  } finally {
    await db.close();
  }
}

export async function createUser(options: { username: string; email?: string; config?: string }, password: string): Promise<string> {
  return withMigratedDatabase(options.config, async (db, settings) => {
    const user = await new UserService(db.orm, settings).create({ username: options.username, email: options.email, password });
    return `Created user ${user.username} (${user.id})`;
  });
}

/** Runs `change` on the user named `username` with a migrated database; closes it after. */
export async function changeUser(
  configPath: string | undefined,
  username: string,
  change: (users: UserService, userId: string) => Promise<string>,
): Promise<string> {
  return withMigratedDatabase(configPath, async (db, settings) => {
    const users = new UserService(db.orm, settings);
    const user = await users.findByUsername(username);
    if (!user) throw new InputError(`No user named "${username}".`, 'NOT_FOUND');
    return change(users, user.id);
  });
}

/** `graphql-sso migrate`: the identity's pending migrations, then the config's (`migrations`). */
export async function migrateDatabase(configPath: string | undefined): Promise<string> {
  const settings = resolveSettings(await readConfig(configPath));
  const db = await openIdentityDatabase({ settings, logger: createCliLogger() });
  try {
    const applied = await migrate(db);
    return applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Database is up to date.';
  } finally {
    await db.close();
  }
}

export async function printIdentitySchema(configPath: string | undefined): Promise<string> {
  const settings = resolveSettings(await readConfig(configPath));
  return printSubgraphSchema(await buildIdentitySchema(settings));
}
