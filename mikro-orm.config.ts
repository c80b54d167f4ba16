import 'reflect-metadata';
import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { identityEntities } from './src/identity/entities/index.js';
import { identityMigrations } from './src/identity/migrations/index.js';

/**
 * For the MikroORM CLI (`npx mikro-orm-esm migration:create` after an entity change) against a real
 * PostgreSQL server (`DATABASE_URL`). The services open the database with `openDatabase`.
 */
export default defineConfig({
  clientUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  entities: identityEntities,
  extensions: [Migrator],
  migrations: {
    tableName: 'sso_migrations',
    path: 'dist/src/identity/migrations',
    pathTs: 'src/identity/migrations',
    migrationsList: identityMigrations,
  },
});
