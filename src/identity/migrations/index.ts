import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128000000 } from './Migration20261128000000.js';
import { Migration20261129000000 } from './Migration20261129000000.js';
import { Migration20261130000000 } from './Migration20261130000000.js';
import { Migration20261202000000 } from './Migration20261202000000.js';
import { Migration20261202100000 } from './Migration20261202100000.js';

/** The identity service's migrations, oldest first (listed, not globbed, so they run from `dist/`). */
export const identityMigrations: MigrationObject[] = [
  { name: 'Migration20261128000000', class: Migration20261128000000 },
  { name: 'Migration20261129000000', class: Migration20261129000000 },
  { name: 'Migration20261130000000', class: Migration20261130000000 },
  { name: 'Migration20261202000000', class: Migration20261202000000 },
  { name: 'Migration20261202100000', class: Migration20261202100000 },
];
