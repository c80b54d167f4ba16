import { printSubgraphSchema } from '@apollo/subgraph';
import { resolveSettings } from '../config/resolve.js';
import { migrate } from '../db/database.js';
import { InputError } from '../errors.js';
import { buildIdentitySchema } from '../identity/schema.js';
import { UserService } from '../identity/user-service.js';
import { openIdentityDatabase } from './database.js';
import { createCliLogger, readConfig } from './runtime.js';

export async function createUser(options: { username: string; email?: string; config?: string }, password: string): Promise<string> {
  const logger = createCliLogger();
  const settings = resolveSettings(await readConfig(options.config));
  const db = await openIdentityDatabase(logger);
  try {
    await migrate(db);
    const user = await new UserService(db.orm, settings).create({ username: options.username, email: options.email, password });
    return `Created user ${user.username} (${user.id})`;
  } finally {
    await db.close();
  }
}

/** Runs `change` on the user named `username` with a migrated database; closes it after. */
export async function changeUser(
  configPath: string | undefined,
  username: string,
  change: (users: UserService, userId: string) => Promise<string>,
): Promise<string> {
  const logger = createCliLogger();
  const settings = resolveSettings(await readConfig(configPath));
  const db = await openIdentityDatabase(logger);
  try {
    await migrate(db);
    const users = new UserService(db.orm, settings);
    const user = await users.findByUsername(username);
    if (!user) throw new InputError(`No user named "${username}".`, 'NOT_FOUND');
    return await change(users, user.id);
  } finally {
    await db.close();
  }
}

export async function migrateDatabase(): Promise<string> {
  const logger = createCliLogger();
  const db = await openIdentityDatabase(logger);
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
