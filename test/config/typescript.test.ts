import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ForbiddenError, SettingsError, loadConfig, resolveSettings } from '../../src/index.js';
import { importConfigModule } from '../../src/config/lib/import-module.js';
import { createAppDir, type AppDir } from '../support/app.js';

const settingsError = (setting: string, message: RegExp, file?: string) => (error: unknown) => {
  assert.ok(error instanceof SettingsError, String(error));
  assert.equal(error.setting, setting);
  assert.match(error.message, message);
  if (file !== undefined) assert.equal(error.file, file);
  return true;
};

const AUTHORIZATION_TS = `import 'reflect-metadata';
import { ArgsType, Field, ID } from 'type-graphql';
import { createAuthorizationPayload as standardClaims, ForbiddenError, type PayloadInput } from 'graphql-sso';

@ArgsType()
export class AccountArgs {
  @Field(() => ID)
  account!: string;
}

export function createAuthorizationPayload(input: PayloadInput<AccountArgs>) {
  if (input.args.account === '0') throw new ForbiddenError('Account 0 is nobody\\'s.');
  return { ...standardClaims(input), account: input.args.account };
}
`;

const CONFIG_TS = `import { defineConfig, type SsoConfig } from 'graphql-sso';
import { AccountArgs, createAuthorizationPayload } from './authorization.js';

const counter = globalThis as { ssoConfigEvaluations?: number };
counter.ssoConfigEvaluations = (counter.ssoConfigEvaluations ?? 0) + 1;

export default defineConfig({ identity: 'myapp', authorizationArgs: AccountArgs, createAuthorizationPayload } satisfies SsoConfig);
`;

const notInstalled = () =>
  Promise.reject(
    Object.assign(new Error("Cannot find package 'tsx' imported from /app/node_modules/graphql-sso/dist/src/config/lib/typescript.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );

describe('loadConfig: TypeScript configs (through tsx)', () => {
  let app: AppDir;
  let commonJs: AppDir;

  before(() => {
    app = createAppDir('sso-ts-config-');
    app.write('authorization.ts', AUTHORIZATION_TS);
    app.write('sso.config.ts', CONFIG_TS);
    commonJs = createAppDir('sso-ts-cjs-', { type: 'commonjs' });
  });
  after(() => {
    app.remove();
    commonJs.remove();
  });

  it('loads a .ts config of an ES-module package, sharing graphql-sso with the service', async () => {
    const config = await loadConfig(join(app.dir, 'sso.config.ts'));
    const settings = resolveSettings(config);
    assert.equal(settings.identity, 'myapp');
    assert.equal(typeof settings.authorizationArgs, 'function');
    const input = { sessionToken: { id: 's1', clientId: '' }, user: { id: 'u1' }, settings };
    assert.equal((await settings.createAuthorizationPayload({ ...input, args: { account: '7' } })).account, '7');
    // The config's ForbiddenError is the service's own class, so a refusal is answered FORBIDDEN.
    assert.throws(
      () => settings.createAuthorizationPayload({ ...input, args: { account: '0' } }),
      (error: unknown) => error instanceof ForbiddenError,
    );
  });

  it('imports it afresh for a reload; the modules it imports stay', async () => {
    const file = join(app.dir, 'sso.config.ts');
    const counter = globalThis as { ssoConfigEvaluations?: number };
    const first = await loadConfig(file);
    const evaluated = counter.ssoConfigEvaluations!;
    assert.equal((await loadConfig(file)).authorizationArgs, first.authorizationArgs);
    assert.equal(counter.ssoConfigEvaluations, evaluated, 'cached without fresh');
    const reloaded = await loadConfig(file, { fresh: true });
    assert.equal(counter.ssoConfigEvaluations, evaluated + 1);
    assert.equal(reloaded.authorizationArgs, first.authorizationArgs);
  });

  it('a JSON config may name exports of .ts modules', async () => {
    const json = app.write(
      'sso.json',
      JSON.stringify({
        authorizationArgs: './authorization.ts#AccountArgs',
        createAuthorizationPayload: './authorization.ts#createAuthorizationPayload',
      }),
    );
    const config = await loadConfig(json);
    assert.equal(config.authorizationArgs, (await loadConfig(join(app.dir, 'sso.config.ts'))).authorizationArgs);
  });

  it('loads a .mts config wherever it is', async () => {
    const file = commonJs.write('sso.config.mts', `export default { identity: 'from-mts' } satisfies Record<string, string>;`);
    assert.equal((await loadConfig(file)).identity, 'from-mts');
  });

  it('refuses a CommonJS TypeScript config (.cts, or .ts outside an ES-module package), saying what to rename', async () => {
    const ts = commonJs.write('sso.config.ts', `export default { identity: 'cjs' };`);
    await assert.rejects(
      loadConfig(ts),
      settingsError(
        '(config)',
        new RegExp(
          `TypeScript configs are loaded as ES modules .* and it is CommonJS, as ${join(commonJs.dir, 'package.json')} has no "type": "module"\\. Rename it to .*sso\\.config\\.mts, or set "type": "module" in its package\\.json\\.$`,
        ),
        ts,
      ),
    );
    const cts = app.write('sso.config.cts', `export default { identity: 'cts' };`);
    await assert.rejects(
      loadConfig(cts),
      settingsError('(config)', /and a \.cts file is CommonJS\. Rename it to .*sso\.config\.mts\.$/, cts),
    );
    const json = commonJs.write('refers.json', JSON.stringify({ createSessionPayload: './hooks.cts#createSessionPayload' }));
    commonJs.write('hooks.cts', 'export function createSessionPayload() {}');
    await assert.rejects(loadConfig(json), settingsError('createSessionPayload', /a \.cts file is CommonJS/));
  });

  it("adds what tsx lacks to type-graphql's error for a field without an explicit type", async () => {
    const file = app.write(
      'untyped-field.ts',
      `import 'reflect-metadata';\nimport { ArgsType, Field } from 'type-graphql';\n@ArgsType()\nexport class Untyped {\n  @Field()\n  account!: string;\n}\n`,
    );
    const json = app.write('untyped.json', JSON.stringify({ authorizationArgs: './untyped-field.ts#Untyped' }));
    await assert.rejects(
      loadConfig(json),
      settingsError(
        'authorizationArgs',
        /cannot load .*untyped-field\.ts: Unable to infer GraphQL type .* for 'account' of 'Untyped' class\. \(tsx, which loads TypeScript configs, compiles with esbuild, which emits no decorator metadata: give every @Field its type, e\.g\. @Field\(\(\) => String\), or compile with tsc and pass the \.js file\)$/,
        file,
      ),
    );
  });

  it('without tsx: names both ways out (install it, or compile the config)', async () => {
    const file = join(app.dir, 'sso.config.ts');
    const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
    const loading = importConfigModule(file, '(config)', { loadTsx: notInstalled });
    if (nodeStripsTypes) return void (await loading);
    await assert.rejects(
      loading,
      settingsError(
        '(config)',
        /cannot load .*sso\.config\.ts: a TypeScript config needs the package tsx, which is not installed\. Install it \(npm i -D tsx\), or compile the config with tsc and pass the \.js file\.$/,
        file,
      ),
    );
  });

  it('names the file when it is missing (before looking for tsx), or when tsx cannot be registered', async () => {
    const missing = join(app.dir, 'missing.ts');
    await assert.rejects(
      importConfigModule(missing, '(config)', { loadTsx: notInstalled }),
      settingsError('(config)', /module not found: .*missing\.ts$/, missing),
    );
    const broken = async () => ({
      register: () => {
        throw new Error('module.register is not a function');
      },
    });
    const file = join(app.dir, 'sso.config.ts');
    await assert.rejects(
      importConfigModule(file, '(config)', { loadTsx: broken }),
      settingsError('(config)', /cannot load .*sso\.config\.ts: tsx could not be registered: module\.register is not a function$/, file),
    );
  });
});
