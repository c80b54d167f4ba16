import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsError, loadConfig, resolveSettings, type SsoConfig } from '../../src/index.js';

function refused(config: unknown, setting: string, message: RegExp) {
  assert.throws(
    () => resolveSettings(config as SsoConfig),
    (error: unknown) => {
      assert.ok(error instanceof SettingsError, String(error));
      assert.equal(error.setting, setting);
      assert.match(error.message, message);
      return true;
    },
  );
}

/** Shaped like MikroORM's classes; the config layer never loads the ORM, so neither does this test. */
class Migration {
  up(): void {}
}
class AppFirst extends Migration {}
class AppSecond extends Migration {}
class AccountMember {}
const schema = {
  meta: { className: 'Note' },
  init() {
    return this;
  },
};

describe('resolveSettings: entities', () => {
  it('default to none; take entity classes and EntitySchemas as given', () => {
    assert.deepEqual(resolveSettings().entities, []);
    const entities = [AccountMember, schema];
    assert.deepEqual(resolveSettings({ entities }).entities, entities);
  });

  it('must be a list', () => {
    refused(
      { entities: './entities.js#entities' },
      'entities',
      /must be a list of MikroORM entity classes or EntitySchemas \(got the string ".\/entities.js#entities"; a module reference such as ".\/entities.js#entities" is resolved in a JSON config only\)$/,
    );
    refused({ entities: AccountMember }, 'entities', /must be a list of .* \(got the class AccountMember\)$/);
    refused({ entities: null }, 'entities', /must be a list .*\(got null\)$/);
    refused({ entities: { AccountMember } }, 'entities', /\(got an object\)$/);
  });

  it('names the entry that is neither a class nor an EntitySchema', () => {
    refused(
      { entities: [AccountMember, 'src/entities/*.js'] },
      'entities[1]',
      /must be a MikroORM entity class or an EntitySchema \(got the string "src\/entities\/\*\.js"\): paths and globs are not read; import the entity classes and list them/,
    );
    refused({ entities: [() => AccountMember] }, 'entities[0]', /\(got a function that is not a class\)$/);
    refused({ entities: [schema, { meta: {} }] }, 'entities[1]', /\(got an object\)$/);
    refused({ entities: [undefined] }, 'entities[0]', /\(got nothing\)$/);
    refused({ entities: [[AccountMember]] }, 'entities[0]', /\(got a list\)$/);
  });
});

describe('resolveSettings: migrations', () => {
  it('default to none; take Migration subclasses and { name, class } as given', () => {
    assert.deepEqual(resolveSettings().migrations, []);
    const migrations = [AppFirst, { name: 'App02', class: AppSecond }];
    assert.deepEqual(resolveSettings({ migrations }).migrations, migrations);
  });

  it('must be a list', () => {
    refused(
      { migrations: './migrations.js#migrations' },
      'migrations',
      /must be a list of migrations \(Migration subclasses or \{ name, class \} objects\) \(got the string .*; a module reference .* is resolved in a JSON config only\)$/,
    );
    refused({ migrations: AppFirst }, 'migrations', /\(got the class AppFirst\)$/);
    refused({ migrations: 5 }, 'migrations', /\(got number 5\)$/);
  });

  it('names the entry of a wrong shape', () => {
    refused(
      { migrations: [AppFirst, AccountMember] },
      'migrations[1]',
      /must be a Migration subclass \(a class with an up\(\) method\) or \{ name, class \} \(got the class AccountMember, which has no up\(\)\)$/,
    );
    refused({ migrations: [class extends Migration {}] }, 'migrations[0]', /is a class without a name: give it as \{ name, class \}$/);
    refused(
      { migrations: [{ name: '', class: AppFirst }] },
      'migrations[0].name',
      /must be a non-empty string, the name the migrations table records \(got the string ""\)$/,
    );
    refused({ migrations: [{ class: AppFirst }] }, 'migrations[0].name', /\(got nothing\)$/);
    refused(
      { migrations: [{ name: 'App01' }] },
      'migrations[0].class',
      /must be a Migration subclass \(a class with an up\(\) method\) \(got nothing\)$/,
    );
    refused({ migrations: [{ name: 'App01', class: () => AppFirst }] }, 'migrations[0].class', /\(got a function that is not a class\)$/);
    refused({ migrations: [{ name: 'App01', class: AccountMember }] }, 'migrations[0].class', /\(got the class AccountMember\)$/);
    refused({ migrations: [null] }, 'migrations[0]', /must be a Migration subclass or \{ name, class \} \(got null\)$/);
    refused({ migrations: ['./migrations/App01.js'] }, 'migrations[0]', /\(got the string ".\/migrations\/App01.js"\)$/);
    refused({ migrations: [[AppFirst]] }, 'migrations[0]', /\(got a list\)$/);
  });

  it('refuses a name given twice, naming both entries', () => {
    refused(
      { migrations: [AppFirst, AppFirst] },
      'migrations[1]',
      /the name "AppFirst" is taken by migrations\[0\] already: each migration needs a name of its own/,
    );
    refused(
      { migrations: [AppSecond, { name: 'AppFirst', class: AppSecond }, AppFirst] },
      'migrations[2]',
      /"AppFirst" is taken by migrations\[1\]/,
    );
  });

  it("leaves clashes with the identity's own migration names to the database opener, which knows them", () => {
    const migrations = [{ name: 'Migration20261128000000', class: AppFirst }];
    assert.deepEqual(resolveSettings({ migrations }).migrations, migrations);
  });
});

describe('loadConfig: entities and migrations of a JSON config', () => {
  let dir: string;
  const json = (name: string, config: Record<string, unknown>) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };
  const rejects = (file: string, setting: string, message: RegExp) =>
    assert.rejects(loadConfig(file), (error: unknown) => {
      assert.ok(error instanceof SettingsError, String(error));
      assert.equal(error.setting, setting);
      assert.match(error.message, message);
      return true;
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sso-tables-json-'));
    writeFileSync(
      join(dir, 'tables.mjs'),
      `class Migration { up() {} }
       export class AppFirst extends Migration {}
       export const second = { name: 'App02', class: class extends Migration {} };
       export const migrations = [AppFirst, second];
       export class AccountMember {}
       export const entities = [AccountMember];
       export function notAList() {}`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a reference to an exported list, relative to the JSON file', async () => {
    const tables = await import(join(dir, 'tables.mjs'));
    const config = await loadConfig(json('list.json', { entities: './tables.mjs#entities', migrations: './tables.mjs#migrations' }));
    assert.deepEqual(config.entities, tables.entities);
    assert.deepEqual(config.migrations, tables.migrations);
    assert.equal(resolveSettings(config).migrations[1], tables.second);
  });

  it('resolves a list of references, one entry each; other entries are left for resolveSettings', async () => {
    const tables = await import(join(dir, 'tables.mjs'));
    const config = await loadConfig(
      json('entries.json', {
        entities: ['./tables.mjs#AccountMember'],
        migrations: ['./tables.mjs#AppFirst', `${join(dir, 'tables.mjs')}#second`],
      }),
    );
    assert.deepEqual(config.entities, [tables.AccountMember]);
    assert.deepEqual(config.migrations, [tables.AppFirst, tables.second]);
    const mixed = await loadConfig(json('mixed.json', { entities: ['./tables.mjs#AccountMember', 5], migrations: 5 }));
    assert.deepEqual(mixed.entities, [tables.AccountMember, 5]);
    assert.equal(mixed.migrations, 5);
    refused({ entities: mixed.entities }, 'entities[1]', /\(got number 5\)$/);
    refused({ migrations: mixed.migrations }, 'migrations', /must be a list of migrations .*\(got number 5\)$/);
  });

  it('names the setting (and the entry) when a reference does not resolve to what it must', async () => {
    await rejects(
      json('not-a-list.json', { entities: './tables.mjs#notAList' }),
      'entities',
      /\.\/tables\.mjs#notAList is not a list \(it is function\): export an array, or list references to each entry \["module#export", \.\.\.\]/,
    );
    await rejects(json('not-a-list-class.json', { migrations: './tables.mjs#AppFirst' }), 'migrations', /is not a list \(it is function\)/);
    await rejects(
      json('missing-export.json', { migrations: ['./tables.mjs#AppFirst', './tables.mjs#AppThird'] }),
      'migrations[1]',
      /\.\/tables\.mjs has no export named "AppThird"/,
    );
    await rejects(json('missing-list.json', { entities: './tables.mjs#nope' }), 'entities', /has no export named "nope"/);
    await rejects(json('missing-module.json', { entities: './nowhere.mjs#entities' }), 'entities', /module not found: .*nowhere\.mjs/);
    await rejects(
      json('bad-reference.json', { entities: ['./tables.mjs'] }),
      'entities[0]',
      /must be "module-path#exportName" \(got "\.\/tables\.mjs"\)/,
    );
    await rejects(json('bad-list-reference.json', { migrations: 'tables.mjs#' }), 'migrations', /must be "module-path#exportName"/);
  });
});
