import { resolve } from 'node:path';

/** `DATABASE_URL`: a PostgreSQL server; `null` (unset or empty): the embedded database. */
export function databaseUrlFromEnv(): string | null {
  return process.env.DATABASE_URL || null;
}

/** `SSO_DATA_DIR` (default `.data`), absolute: where the embedded database and development keys live. */
export function dataDirFromEnv(): string {
  return resolve(process.env.SSO_DATA_DIR ?? '.data');
}
