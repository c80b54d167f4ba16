import { SettingsError } from '../../errors.js';
import type { ApplicationEntity, ApplicationMigration, MigrationClass } from '../settings.js';

/**
 * Shape checks of `entities` and `migrations`. The config layer must not load the ORM (subgraphs
 * do not install it), so an entity is "a class or an EntitySchema-shaped object" and a migration
 * "a class with `up()`"; MikroORM checks the rest when the database is opened.
 */

/** A migration as MikroORM's migrator takes it, with the name it is recorded under. */
export interface NamedMigration {
  name: string;
  class: MigrationClass;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'function')
    return value.prototype === undefined ? 'a function that is not a class' : `the class ${value.name || '(anonymous)'}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const isClass = (value: unknown): value is abstract new (...args: never[]) => object =>
  typeof value === 'function' && typeof value.prototype === 'object' && value.prototype !== null;

const isEntitySchema = (value: unknown): boolean => {
  const schema = value as { meta?: unknown; init?: unknown } | null;
  return (
    typeof schema === 'object' &&
    schema !== null &&
    typeof schema.init === 'function' &&
    typeof schema.meta === 'object' &&
    schema.meta !== null
  );
};

const isMigrationClass = (value: unknown): value is MigrationClass =>
  isClass(value) && typeof (value.prototype as { up?: unknown }).up === 'function';

const MODULE_REFERENCE_HINT = 'a module reference such as "./entities.js#entities" is resolved in a JSON config only';

/** An entity's name as MikroORM knows it: the class's, or the EntitySchema's. */
export function entityName(entity: ApplicationEntity): string {
  if (typeof entity === 'function') return entity.name;
  return String((entity.meta as { className?: unknown }).className);
}

/** The message for a value of `entities`/`migrations` that is not a list. */
export function notAList(setting: 'entities' | 'migrations', value: unknown): string {
  const what =
    setting === 'entities' ? 'MikroORM entity classes or EntitySchemas' : 'migrations (Migration subclasses or { name, class } objects)';
  return `must be a list of ${what} (got ${describe(value)}${typeof value === 'string' ? `; ${MODULE_REFERENCE_HINT}` : ''})`;
}

/** Throws a `SettingsError` naming the first entry of `entities` that is neither a class nor an EntitySchema. */
export function checkEntities(entities: readonly ApplicationEntity[]): void {
  entities.forEach((entity, index) => {
    if (isClass(entity) || isEntitySchema(entity)) return;
    const hint =
      typeof entity === 'string'
        ? `: paths and globs are not read; import the entity classes and list them (${MODULE_REFERENCE_HINT})`
        : '';
    throw new SettingsError(`entities[${index}]`, `must be a MikroORM entity class or an EntitySchema (got ${describe(entity)})${hint}`);
  });
}

/** `{ name, class }` of one entry of `migrations`, or a `SettingsError` naming it (`migrations[1]`). */
function namedMigration(migration: unknown, setting: string): NamedMigration {
  if (isClass(migration)) {
    if (!isMigrationClass(migration)) {
      throw new SettingsError(
        setting,
        `must be a Migration subclass (a class with an up() method) or { name, class } (got ${describe(migration)}, which has no up())`,
      );
    }
    if (!migration.name) throw new SettingsError(setting, 'is a class without a name: give it as { name, class }');
    return { name: migration.name, class: migration };
  }
  if (typeof migration !== 'object' || migration === null || Array.isArray(migration)) {
    throw new SettingsError(setting, `must be a Migration subclass or { name, class } (got ${describe(migration)})`);
  }
  const { name, class: cls } = migration as { name?: unknown; class?: unknown };
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new SettingsError(`${setting}.name`, `must be a non-empty string, the name the migrations table records (got ${describe(name)})`);
  }
  if (!isMigrationClass(cls)) {
    throw new SettingsError(`${setting}.class`, `must be a Migration subclass (a class with an up() method) (got ${describe(cls)})`);
  }
  return { name, class: cls };
}

/**
 * The application's migrations as `{ name, class }`, in their order. Names are what the
 * migrations table records, so each must be unique: among them, and against `reserved` (the
 * identity service's own migrations, which only the database opener knows).
 */
export function namedMigrations(migrations: readonly ApplicationMigration[], reserved: readonly string[] = []): NamedMigration[] {
  const seen = new Map<string, number>();
  return migrations.map((migration, index) => {
    const setting = `migrations[${index}]`;
    const named = namedMigration(migration, setting);
    if (reserved.includes(named.name)) {
      throw new SettingsError(
        setting,
        `"${named.name}" is the name of one of graphql-sso's own migrations: give yours another name (e.g. one starting with your application's)`,
      );
    }
    const first = seen.get(named.name);
    if (first !== undefined) {
      throw new SettingsError(
        setting,
        `the name "${named.name}" is taken by migrations[${first}] already: each migration needs a name of its own (the migrations table records it)`,
      );
    }
    seen.set(named.name, index);
    return named;
  });
}
