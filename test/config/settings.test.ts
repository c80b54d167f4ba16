import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  DEFAULT_SETTINGS,
  SettingsError,
  authenticatePayload,
  createAuthorizationPayload,
  createSessionPayload,
  decodeJwtToken,
  defineConfig,
  encodeJwtToken,
  loadConfig,
  resolveSettings,
  type SsoConfig,
} from '../../src/index.js';

function settingsError(expected: { setting: string; message: RegExp; file?: string }) {
  return (error: unknown) => {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_SETTINGS');
    assert.equal(error.setting, expected.setting);
    assert.ok(error.message.startsWith(`Invalid setting "${expected.setting}": `), error.message);
    assert.match(error.message, expected.message);
    if (expected.file !== undefined) {
      assert.equal(error.file, expected.file);
      assert.ok(error.message.includes(expected.file), `the message names ${expected.file}: ${error.message}`);
    }
    return true;
  };
}

const invalid = (config: unknown, setting: string, message: RegExp) =>
  assert.throws(() => resolveSettings(config as SsoConfig), settingsError({ setting, message }), JSON.stringify(config) ?? String(config));

describe('resolveSettings: defaults', () => {
  it("are the ones of the DESIGN.md table (the original's REST_FRAMEWORK_SSO), plus our own", () => {
    const settings = resolveSettings();
    assert.equal(settings.createSessionPayload, createSessionPayload);
    assert.equal(settings.createAuthorizationPayload, createAuthorizationPayload);
    assert.equal(settings.encodeJwtToken, encodeJwtToken);
    assert.equal(settings.decodeJwtToken, decodeJwtToken);
    assert.equal(settings.authenticatePayload, authenticatePayload);
    const {
      createSessionPayload: _a,
      createAuthorizationPayload: _b,
      encodeJwtToken: _c,
      decodeJwtToken: _d,
      authenticatePayload: _e,
      ...values
    } = settings;
    assert.deepEqual(values, {
      encodeAlgorithm: 'RS256',
      decodeAlgorithms: ['RS256'],
      verifySignature: true,
      verifyExpiration: true,
      verifyIssuer: true,
      verifyAudience: true,
      verifySessionToken: true,
      expirationLeeway: 0,
      sessionExpiration: null,
      authorizationExpiration: 300,
      identity: null,
      sessionAudience: null,
      authorizationAudience: null,
      acceptedIssuers: null,
      keyStoreRoot: null,
      publicKeys: {},
      privateKeys: {},
      authenticateHeader: 'JWT',
      // Not in the original:
      jwksUrls: {},
      trustProxy: false,
      trustedOrigins: [],
      corsOrigins: [],
      host: null,
      passwordHashRounds: 12,
      authorizationArgs: null,
      adminScope: 'sso:admin',
      sessionIdleTimeout: null,
      maxSessionsPerUser: 100,
      sessionCacheTtl: 60,
      verifiedTokenCacheSize: 10_000,
      metrics: true,
      metricsPort: null,
      limits: {
        maxBodyBytes: 1_048_576,
        maxTokenLength: 8192,
        maxDepth: 15,
        maxAliases: 30,
        maxRootFields: 20,
        maxBatchOperations: 10,
        maxEntities: 100,
      },
      introspection: null,
      suggestions: null,
      federationTraces: null,
      databaseTimeout: 5,
      embeddedDatabaseInProduction: false,
      signingThread: null,
      shutdownDelay: 0,
      loginThrottle: { usernameAttempts: 5, usernameTotalAttempts: 50, ipAttempts: 100, backoff: { base: 1, max: 900 }, window: 3600 },
      redisUrl: null,
      databaseListenUrl: null,
      entities: [],
      migrations: [],
    });
  });

  it('DEFAULT_SETTINGS keeps decodeAlgorithms null (= [encodeAlgorithm]) and cannot be changed', () => {
    assert.equal(DEFAULT_SETTINGS.decodeAlgorithms, null);
    assert.equal(Object.isFrozen(DEFAULT_SETTINGS), true);
    assert.deepEqual(resolveSettings({ encodeAlgorithm: 'ES256' }).decodeAlgorithms, ['ES256']);
    assert.deepEqual(resolveSettings({ encodeAlgorithm: 'ES256', decodeAlgorithms: ['ES256', 'ES384'] }).decodeAlgorithms, [
      'ES256',
      'ES384',
    ]);
    assert.equal(DEFAULT_SETTINGS.decodeAlgorithms, null);
    for (const value of [
      DEFAULT_SETTINGS.limits,
      DEFAULT_SETTINGS.loginThrottle,
      DEFAULT_SETTINGS.loginThrottle?.backoff,
      DEFAULT_SETTINGS.publicKeys,
      DEFAULT_SETTINGS.entities,
    ]) {
      assert.equal(Object.isFrozen(value), true);
    }
    const settings = resolveSettings();
    settings.limits.maxDepth = 3;
    settings.publicKeys.myapp = 'myapp.pem';
    assert.equal(DEFAULT_SETTINGS.limits.maxDepth, 15, 'resolved settings share no object with the defaults');
    assert.deepEqual(resolveSettings().publicKeys, {});
  });

  it('takes one string where a list of audiences or issuers is expected, without changing the given config', () => {
    const config: SsoConfig = {
      identity: 'myapp',
      sessionAudience: 'myapp' as never,
      authorizationAudience: 'otherapp' as never,
      acceptedIssuers: 'myapp' as never,
    };
    const settings = resolveSettings(config);
    assert.deepEqual(settings.sessionAudience, ['myapp']);
    assert.deepEqual(settings.authorizationAudience, ['otherapp']);
    assert.deepEqual(settings.acceptedIssuers, ['myapp']);
    assert.equal(config.sessionAudience, 'myapp');
  });

  it('treats an undefined value as not given', () => {
    assert.equal(resolveSettings({ encodeAlgorithm: undefined, authorizationExpiration: undefined }).authorizationExpiration, 300);
  });

  it('accepts every setting with a valid value', () => {
    const hook = () => ({ token: 'auth' as const, sid: 's', uid: 'u' });
    class Args {}
    const settings = resolveSettings({
      createSessionPayload: hook,
      createAuthorizationPayload: hook,
      encodeJwtToken: () => 'token',
      decodeJwtToken: () => ({ token: 'auth', iss: 'x', sid: 's', uid: 'u' }),
      authenticatePayload: () => null,
      encodeAlgorithm: 'PS512',
      decodeAlgorithms: ['PS512', 'PS256'],
      verifySignature: false,
      verifyExpiration: false,
      verifyIssuer: false,
      verifyAudience: false,
      verifySessionToken: false,
      expirationLeeway: 30,
      sessionExpiration: 86_400,
      authorizationExpiration: 3600,
      identity: 'otherapp',
      sessionAudience: ['otherapp'],
      authorizationAudience: ['otherapp', 'reports'],
      acceptedIssuers: ['myapp'],
      jwksUrls: { myapp: 'https://myapp.example/.well-known/jwks.json' },
      authenticateHeader: 'Bearer',
      trustProxy: true,
      passwordHashRounds: 4,
      authorizationArgs: Args,
    });
    assert.equal(settings.encodeAlgorithm, 'PS512');
    assert.equal(settings.authorizationArgs, Args);
    assert.equal(settings.expirationLeeway, 30);
  });
});

describe('resolveSettings: each invalid value is a SettingsError naming the setting', () => {
  it('the config itself is not an object', () => {
    for (const config of [null, [], 'identity=myapp', 5]) invalid(config, '(config)', /must be an object of settings/);
  });

  it('hooks that are not functions', () => {
    for (const setting of [
      'createSessionPayload',
      'createAuthorizationPayload',
      'encodeJwtToken',
      'decodeJwtToken',
      'authenticatePayload',
    ]) {
      invalid({ [setting]: './hooks.js#fn' }, setting, /must be a function$/);
      invalid({ [setting]: null }, setting, /must be a function$/);
    }
  });

  it('algorithms: only the supported asymmetric ones', () => {
    for (const value of ['HS256', 'none', 'rs256', '', null, ['RS256']])
      invalid(
        { encodeAlgorithm: value },
        'encodeAlgorithm',
        /must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 \(got /,
      );
    invalid({ encodeAlgorithm: 'HS256' }, 'encodeAlgorithm', /\(got "HS256"\)$/);
    invalid({ decodeAlgorithms: [] }, 'decodeAlgorithms', /must be a non-empty list of algorithms/);
    invalid({ decodeAlgorithms: 'RS256' }, 'decodeAlgorithms', /must be a non-empty list of algorithms/);
    // A bad entry is named by its index.
    invalid({ decodeAlgorithms: ['RS256', 'HS256'] }, 'decodeAlgorithms[1]', /must be one of .* \(got "HS256"\)/);
    invalid({ decodeAlgorithms: ['none'] }, 'decodeAlgorithms[0]', /\(got "none"\)/);
  });

  it('switches that are not booleans', () => {
    for (const setting of ['verifySignature', 'verifyExpiration', 'verifyIssuer', 'verifyAudience', 'verifySessionToken']) {
      for (const value of ['true', 1, null]) invalid({ [setting]: value }, setting, /must be true or false/);
    }
    // trustProxy also takes hop counts and addresses (test/security/trusted-proxy.test.ts).
    for (const value of ['true', null, -1]) invalid({ trustProxy: value }, 'trustProxy', /must be false, true, a number of proxy hops/);
  });

  it('lifetimes and leeway: numbers of seconds, not negative, lifetimes above 0', () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10', null])
      invalid({ expirationLeeway: value }, 'expirationLeeway', /must be a number of seconds \(0 or more\)/);
    for (const value of [0, -5, '3600', Number.NaN])
      invalid({ sessionExpiration: value }, 'sessionExpiration', /must be a number of seconds greater than 0/);
    for (const value of [0, -300, null, '300'])
      invalid({ authorizationExpiration: value }, 'authorizationExpiration', /must be a number of seconds greater than 0/);
    assert.equal(resolveSettings({ sessionExpiration: null }).sessionExpiration, null);
    assert.equal(resolveSettings({ expirationLeeway: 0 }).expirationLeeway, 0);
  });

  it('session lifecycle: idle timeout of a minute or more, cache TTL, admin scope', () => {
    for (const value of [0, 59, -1, '600', Number.NaN]) invalid({ sessionIdleTimeout: value }, 'sessionIdleTimeout', /at least 60/);
    assert.equal(resolveSettings({ sessionIdleTimeout: 900 }).sessionIdleTimeout, 900);
    for (const value of [-1, null, '60'])
      invalid({ sessionCacheTtl: value }, 'sessionCacheTtl', /must be a number of seconds \(0 or more\)/);
    assert.equal(resolveSettings({ sessionCacheTtl: 0 }).sessionCacheTtl, 0);
    for (const value of ['', 3]) invalid({ adminScope: value }, 'adminScope', /must be a non-empty string/);
    assert.equal(resolveSettings({ adminScope: null }).adminScope, null);
  });

  it('limits: given in part, the others keep their defaults; each checked under its own name', () => {
    const settings = resolveSettings({ limits: { maxDepth: 8, maxBodyBytes: 65_536 } });
    assert.deepEqual(settings.limits, { ...DEFAULT_SETTINGS.limits, maxDepth: 8, maxBodyBytes: 65_536 });
    assert.deepEqual(resolveSettings({ limits: {} }).limits, DEFAULT_SETTINGS.limits);
    assert.equal(Object.isFrozen(DEFAULT_SETTINGS.limits), true);
    for (const value of [null, 5, [15], 'maxDepth=15'])
      invalid(
        { limits: value },
        'limits',
        /must be an object of limits \(maxBodyBytes, maxTokenLength, maxDepth, maxAliases, maxRootFields, maxBatchOperations, maxEntities\)/,
      );
    invalid({ limits: { maxDeph: 8 } }, 'limits.maxDeph', /unknown limit \(the limits are maxBodyBytes, /);
    const units = {
      maxBodyBytes: 'bytes',
      maxTokenLength: 'characters',
      maxDepth: 'levels',
      maxAliases: 'aliases',
      maxRootFields: 'fields',
      maxBatchOperations: 'operations',
    };
    for (const [limit, unit] of Object.entries(units)) {
      for (const value of [0, -1, 1.5, '10', null, Number.POSITIVE_INFINITY]) {
        invalid({ limits: { [limit]: value } }, `limits.${limit}`, new RegExp(`must be a whole number of ${unit} \\(1 or more\\)$`));
      }
    }
  });

  it('introspection: true, false or null (NODE_ENV decides)', () => {
    for (const value of [true, false, null]) assert.equal(resolveSettings({ introspection: value }).introspection, value);
    for (const value of ['false', 0]) invalid({ introspection: value }, 'introspection', /must be true or false/);
  });

  it('verifiedTokenCacheSize: a whole number of tokens, 0 turning the cache off', () => {
    for (const value of [-1, 1.5, '100', null, Number.POSITIVE_INFINITY])
      invalid({ verifiedTokenCacheSize: value }, 'verifiedTokenCacheSize', /must be a whole number of tokens/);
    assert.equal(resolveSettings({ verifiedTokenCacheSize: 0 }).verifiedTokenCacheSize, 0);
    assert.equal(resolveSettings({ verifiedTokenCacheSize: 250_000 }).verifiedTokenCacheSize, 250_000);
  });

  it('signingThread: true, false or null (the machine decides)', () => {
    for (const value of [true, false, null]) assert.equal(resolveSettings({ signingThread: value }).signingThread, value);
    for (const value of ['true', 1]) invalid({ signingThread: value }, 'signingThread', /must be true or false/);
  });

  it('metrics: true or false', () => {
    for (const value of ['true', 1, null]) invalid({ metrics: value }, 'metrics', /must be true or false/);
    assert.equal(resolveSettings({ metrics: false }).metrics, false);
  });

  it('databaseTimeout: a number of seconds greater than 0', () => {
    for (const value of [0, -1, '5', null, Number.POSITIVE_INFINITY])
      invalid({ databaseTimeout: value }, 'databaseTimeout', /must be a number of seconds greater than 0/);
    assert.equal(resolveSettings({ databaseTimeout: 0.5 }).databaseTimeout, 0.5);
  });

  it('embeddedDatabaseInProduction: true or false', () => {
    for (const value of ['true', 1, null])
      invalid({ embeddedDatabaseInProduction: value }, 'embeddedDatabaseInProduction', /must be true or false/);
    assert.equal(resolveSettings({ embeddedDatabaseInProduction: true }).embeddedDatabaseInProduction, true);
  });

  it('shutdownDelay: a number of seconds, 0 or more', () => {
    for (const value of [-1, '5', null, Number.NaN])
      invalid({ shutdownDelay: value }, 'shutdownDelay', /must be a number of seconds \(0 or more\)/);
    assert.equal(resolveSettings({ shutdownDelay: 5 }).shutdownDelay, 5);
  });

  it('names: identity and keyStoreRoot are non-empty strings', () => {
    for (const value of ['', '   ', 5, ['myapp']]) invalid({ identity: value }, 'identity', /must be a non-empty string/);
    for (const value of ['', 7]) invalid({ keyStoreRoot: value }, 'keyStoreRoot', /must be a non-empty string/);
  });

  it('audiences and accepted issuers: lists of non-empty strings, a bad entry named by its index', () => {
    for (const setting of ['sessionAudience', 'authorizationAudience', 'acceptedIssuers']) {
      for (const value of ['', 5, { myapp: true }]) invalid({ [setting]: value }, setting, /must be a list of non-empty strings$/);
      invalid({ [setting]: [''] }, `${setting}[0]`, /must be a non-empty string$/);
      invalid({ [setting]: ['myapp', 5] }, `${setting}[1]`, /must be a non-empty string$/);
    }
  });

  it('key files: a map from issuer to a file or a non-empty list of files', () => {
    for (const setting of ['publicKeys', 'privateKeys']) {
      for (const value of ['myapp.pem', ['myapp.pem'], null])
        invalid({ [setting]: value }, setting, /must map each issuer to a key file or a list of key files/);
      for (const files of [[], '', [''], ['a.pem', 3], 3, null])
        invalid(
          { identity: 'myapp', [setting]: { myapp: files } },
          `${setting}.myapp`,
          /must be a key file name or a non-empty list of them$/,
        );
    }
  });

  it('JWKS URLs: a map from issuer to an http(s) URL', () => {
    invalid({ jwksUrls: 'https://myapp/jwks.json' }, 'jwksUrls', /must map each issuer to the URL of its JWKS/);
    for (const url of ['ftp://myapp/jwks.json', '/jwks.json', 5])
      invalid({ identity: 'otherapp', jwksUrls: { myapp: url } }, 'jwksUrls.myapp', /must be an http\(s\) URL$/);
  });

  it('authenticateHeader: one HTTP auth scheme token', () => {
    for (const value of ['', 'JWT token', 'JWT:', 5])
      invalid({ authenticateHeader: value }, 'authenticateHeader', /must be an HTTP auth scheme such as "JWT" or "Bearer"/);
  });

  it('passwordHashRounds: a whole number from 4 to 31; authorizationArgs: a class', () => {
    for (const value of [3, 32, 10.5, '12'])
      invalid({ passwordHashRounds: value }, 'passwordHashRounds', /must be a whole number from 4 to 31/);
    invalid({ authorizationArgs: { account: 'ID' } }, 'authorizationArgs', /must be a type-graphql @ArgsType\(\) class/);
  });

  it('loginThrottle: null or limits, completed from the defaults; redisUrl: a redis URL', () => {
    assert.deepEqual(resolveSettings({ loginThrottle: { ipAttempts: 500, backoff: { max: 60 } } }).loginThrottle, {
      usernameAttempts: 5,
      usernameTotalAttempts: 139,
      ipAttempts: 500,
      backoff: { base: 1, max: 60 },
      window: 3600,
    });
    assert.equal(resolveSettings({ loginThrottle: null }).loginThrottle, null);
    assert.equal(resolveSettings({ redisUrl: 'rediss://cache.internal:6380/2' }).redisUrl, 'rediss://cache.internal:6380/2');
    for (const value of [true, 5, [], 'on'])
      invalid(
        { loginThrottle: value },
        'loginThrottle',
        /must be null or an object \{ usernameAttempts, usernameTotalAttempts, ipAttempts, backoff: \{ base, max \}, window \}/,
      );
    // Each option is named by its path, as the limits are.
    invalid(
      { loginThrottle: { attempts: 5 } },
      'loginThrottle.attempts',
      /unknown option \(options: usernameAttempts, usernameTotalAttempts, ipAttempts, backoff, window\)$/,
    );
    for (const value of [0, 2.5, '5', -1]) {
      invalid(
        { loginThrottle: { usernameAttempts: value } },
        'loginThrottle.usernameAttempts',
        /must be a whole number of attempts \(1 or more\)$/,
      );
      invalid({ loginThrottle: { ipAttempts: value } }, 'loginThrottle.ipAttempts', /must be a whole number of attempts/);
    }
    for (const backoff of [1, null, [1, 900]])
      invalid({ loginThrottle: { backoff } }, 'loginThrottle.backoff', /must be an object \{ base, max \} of seconds$/);
    invalid({ loginThrottle: { backoff: { min: 1 } } }, 'loginThrottle.backoff.min', /unknown option \(options: base, max\)$/);
    for (const base of [0, -1, '1', Infinity])
      invalid({ loginThrottle: { backoff: { base } } }, 'loginThrottle.backoff.base', /must be a number of seconds greater than 0$/);
    for (const max of [5, '900', Number.NaN])
      invalid(
        { loginThrottle: { backoff: { base: 10, max } } },
        'loginThrottle.backoff.max',
        /must be a number of seconds, at least backoff.base$/,
      );
    for (const window of [600, '3600', null])
      invalid({ loginThrottle: { window } }, 'loginThrottle.window', /must be a number of seconds, at least backoff.max$/);
    assert.deepEqual(resolveSettings({ loginThrottle: { backoff: { base: 30, max: 30 }, window: 30 } }).loginThrottle, {
      usernameAttempts: 5,
      usernameTotalAttempts: 50,
      ipAttempts: 100,
      backoff: { base: 30, max: 30 },
      window: 30,
    });
    for (const value of ['', 'http://cache:6379', 'cache:6379', 6379])
      invalid({ redisUrl: value }, 'redisUrl', /must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('databaseListenUrl: null or a postgres URL', () => {
    assert.equal(resolveSettings({ databaseListenUrl: 'postgres://sso@db:5432/sso' }).databaseListenUrl, 'postgres://sso@db:5432/sso');
    for (const value of ['', 'mysql://db/sso', 'db:5432', 5432])
      invalid({ databaseListenUrl: value }, 'databaseListenUrl', /must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });

  it("unknown settings, with a suggestion for the original's spelling or another case", () => {
    invalid(
      { ENCODE_ALGORITHM: 'RS256' },
      'ENCODE_ALGORITHM',
      /^Invalid setting "ENCODE_ALGORITHM": unknown setting \(did you mean "encodeAlgorithm"\?\)$/,
    );
    invalid({ SESSION_EXPIRATION: 3600 }, 'SESSION_EXPIRATION', /\(did you mean "sessionExpiration"\?\)$/);
    invalid({ keystoreroot: '/keys' }, 'keystoreroot', /\(did you mean "keyStoreRoot"\?\)$/);
    invalid({ Identity: 'myapp' }, 'Identity', /\(did you mean "identity"\?\)$/);
    invalid({ sessionLifetime: 3600 }, 'sessionLifetime', /^Invalid setting "sessionLifetime": unknown setting$/);
    invalid({ REST_FRAMEWORK_SSO: {} }, 'REST_FRAMEWORK_SSO', /unknown setting$/);
  });

  it("reports an unknown setting before a bad value, and the first bad value in the settings' order", () => {
    invalid({ encodeAlgorithm: 'HS256', bogus: 1 }, 'bogus', /unknown setting/);
    invalid({ verifySignature: 'yes', encodeAlgorithm: 'HS256' }, 'encodeAlgorithm', /HS256/);
    invalid({ limits: { maxDepth: 0, maxDeph: 8 } }, 'limits.maxDeph', /unknown limit/);
  });

  it('needs identity to check audiences when keys are configured', () => {
    const message = /is required while verifyAudience is true/;
    invalid({ publicKeys: { myapp: 'myapp.pem' } }, 'identity', message);
    invalid({ privateKeys: { myapp: 'myapp.pem' } }, 'identity', message);
    invalid({ jwksUrls: { myapp: 'https://myapp/jwks.json' } }, 'identity', message);
    assert.equal(resolveSettings({ verifyAudience: false, publicKeys: { myapp: 'myapp.pem' } }).identity, null);
  });

  it('needs a private key for identity when private keys are configured', () => {
    invalid(
      { identity: 'myapp', privateKeys: { otherapp: 'otherapp.pem' } },
      'privateKeys.myapp',
      /no private key is configured for identity "myapp"/,
    );
    assert.deepEqual(resolveSettings({ identity: 'myapp', privateKeys: { myapp: 'myapp.pem', otherapp: 'o.pem' } }).privateKeys, {
      myapp: 'myapp.pem',
      otherapp: 'o.pem',
    });
  });
});

describe('loadConfig', () => {
  let dir: string;
  const indexUrl = new URL('../../src/index.js', import.meta.url).href;
  const write = (path: string, text: string) => {
    writeFileSync(join(dir, path), text);
    return join(dir, path);
  };
  const json = (name: string, config: Record<string, unknown>) => write(`conf/${name}`, JSON.stringify(config));
  const rejects = (path: string, expected: { setting: string; message: RegExp; file?: string }) =>
    assert.rejects(loadConfig(path), settingsError(expected));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sso-config-'));
    mkdirSync(join(dir, 'conf', 'hooks'), { recursive: true });
    write('package.json', JSON.stringify({ type: 'module' }));
    write(
      'conf/hooks/payloads.mjs',
      `export function createAuthorizationPayload(input) {
         return { token: 'auth', sid: input.sessionToken.id, uid: input.user.id, account: input.args.account };
       }
       export const notAFunction = { token: 'auth' };`,
    );
    write('shared.mjs', `export function createSessionPayload() { return { token: 'session', sid: 'shared', uid: 'u' }; }`);
    write('conf/broken-dependency.mjs', `import 'graphql-sso-no-such-package'; export function createSessionPayload() {}`);
    write('conf/throws.mjs', `throw new Error('boom while importing'); export function createSessionPayload() {}`);
    write('conf/syntax.mjs', `export function createSessionPayload( {`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a JSON config and resolves "module#export" hooks relative to the config file', async () => {
    const file = json('config.json', {
      identity: 'myapp',
      authorizationExpiration: 900,
      createAuthorizationPayload: './hooks/payloads.mjs#createAuthorizationPayload',
      createSessionPayload: '../shared.mjs#createSessionPayload',
      authenticatePayload: 'graphql-sso#authenticatePayload',
    });
    for (const path of [file, relative(process.cwd(), file)]) {
      const config = await loadConfig(path);
      assert.equal(config.identity, 'myapp');
      assert.equal(config.authorizationExpiration, 900);
      assert.equal(typeof config.createAuthorizationPayload, 'function');
      assert.deepEqual(
        await config.createAuthorizationPayload!({
          sessionToken: { id: 's1', clientId: '' },
          user: { id: 'u1' },
          args: { account: '7' },
          settings: resolveSettings(),
        }),
        { token: 'auth', sid: 's1', uid: 'u1', account: '7' },
      );
      assert.deepEqual(await config.createSessionPayload!({} as never), { token: 'session', sid: 'shared', uid: 'u' });
      assert.equal(config.authenticatePayload, authenticatePayload, 'a bare specifier is imported as a package');
      const settings = resolveSettings(config);
      assert.equal(settings.createAuthorizationPayload, config.createAuthorizationPayload);
    }
  });

  it('resolves an absolute module path too', async () => {
    const file = json('absolute.json', { createSessionPayload: `${join(dir, 'shared.mjs')}#createSessionPayload` });
    assert.equal(((await loadConfig(file)).createSessionPayload as () => { sid: string })().sid, 'shared');
  });

  it('names the file when the config file is missing or is not a JSON object', async () => {
    const missing = join(dir, 'conf', 'missing.json');
    await rejects(missing, { setting: '(config)', file: missing, message: /config file not found/ });
    const bad = write('conf/bad.json', '{ "identity": "myapp", }');
    await rejects(bad, { setting: '(config)', file: bad, message: /is not valid JSON: / });
    const list = write('conf/list.json', '["identity"]');
    await rejects(list, { setting: '(config)', file: list, message: /must hold a JSON object of settings/ });
  });

  it('names the setting and the module when a hook module is missing', async () => {
    const file = json('missing-module.json', { createAuthorizationPayload: './hooks/nope.mjs#createAuthorizationPayload' });
    await rejects(file, {
      setting: 'createAuthorizationPayload',
      file: join(dir, 'conf', 'hooks', 'nope.mjs'),
      message: /module not found: /,
    });
    const pkg = json('missing-package.json', { authenticatePayload: 'graphql-sso-no-such-package#authenticatePayload' });
    await rejects(pkg, { setting: 'authenticatePayload', message: /cannot load module "graphql-sso-no-such-package"/ });
  });

  it('does not call a module "not found" when it is one of its imports that is missing', async () => {
    const file = json('broken-dependency.json', { createSessionPayload: './broken-dependency.mjs#createSessionPayload' });
    const module = join(dir, 'conf', 'broken-dependency.mjs');
    await assert.rejects(loadConfig(file), (error: unknown) => {
      settingsError({ setting: 'createSessionPayload', file: module, message: /cannot load / })(error);
      assert.match((error as Error).message, /graphql-sso-no-such-package/);
      assert.doesNotMatch((error as Error).message, /module not found/);
      return true;
    });
  });

  it('names the module when it throws or does not parse', async () => {
    const throws = json('throws.json', { createSessionPayload: './throws.mjs#createSessionPayload' });
    await rejects(throws, {
      setting: 'createSessionPayload',
      file: join(dir, 'conf', 'throws.mjs'),
      message: /cannot load .*: boom while importing/,
    });
    const syntax = json('syntax.json', { createSessionPayload: './syntax.mjs#createSessionPayload' });
    await rejects(syntax, { setting: 'createSessionPayload', file: join(dir, 'conf', 'syntax.mjs'), message: /cannot load / });
  });

  it('names the setting and the module when the export is missing', async () => {
    const file = json('missing-export.json', { createAuthorizationPayload: './hooks/payloads.mjs#nope' });
    await assert.rejects(loadConfig(file), (error: unknown) => {
      settingsError({ setting: 'createAuthorizationPayload', message: /\.\/hooks\/payloads\.mjs has no export named "nope"/ })(error);
      assert.equal((error as SettingsError).file, join(dir, 'conf', 'hooks', 'payloads.mjs'));
      return true;
    });
  });

  it('names the setting and the module when the export is not a function', async () => {
    const file = json('not-a-function.json', { createAuthorizationPayload: './hooks/payloads.mjs#notAFunction' });
    await assert.rejects(loadConfig(file), (error: unknown) => {
      settingsError({ setting: 'createAuthorizationPayload', message: /\.\/hooks\/payloads\.mjs#notAFunction is not a function/ })(error);
      assert.equal((error as SettingsError).file, join(dir, 'conf', 'hooks', 'payloads.mjs'));
      return true;
    });
  });

  it('refuses a hook reference that is not "module-path#exportName"', async () => {
    for (const reference of ['./hooks/payloads.mjs', '#createAuthorizationPayload', './hooks/payloads.mjs#']) {
      const file = json('bad-reference.json', { createAuthorizationPayload: reference });
      await rejects(file, { setting: 'createAuthorizationPayload', message: /must be "module-path#exportName"/ });
    }
  });

  it('leaves values of other types to resolveSettings', async () => {
    const file = json('typed.json', { identity: 'myapp', encodeJwtToken: 5 });
    const config = await loadConfig(file);
    assert.equal(config.encodeJwtToken, 5);
    assert.throws(() => resolveSettings(config), settingsError({ setting: 'encodeJwtToken', message: /must be a function/ }));
  });

  it("loads a .js config's default export, plain or made with defineConfig", async () => {
    const plain = write(
      'conf/plain.js',
      `export default { identity: 'myapp', sessionExpiration: 60, createSessionPayload: () => ({ token: 'session', sid: 's', uid: 'u' }) };`,
    );
    const config = await loadConfig(plain);
    assert.equal(config.identity, 'myapp');
    assert.equal(config.sessionExpiration, 60);
    assert.equal(typeof config.createSessionPayload, 'function');

    const defined = write(
      'conf/defined.js',
      `import { defineConfig, createAuthorizationPayload } from ${JSON.stringify(indexUrl)};
       export default defineConfig({ identity: 'myapp', authorizationAudience: ['myapp', 'otherapp'], createAuthorizationPayload });`,
    );
    const fromDefine = await loadConfig(defined);
    assert.deepEqual(fromDefine.authorizationAudience, ['myapp', 'otherapp']);
    assert.equal(fromDefine.createAuthorizationPayload, createAuthorizationPayload);
    assert.equal(resolveSettings(fromDefine).identity, 'myapp');

    const named = write('conf/named.mjs', `export const config = { identity: 'named' };`);
    assert.equal((await loadConfig(named)).identity, 'named');
  });

  it('defineConfig returns its argument unchanged', () => {
    const config = { identity: 'myapp', encodeAlgorithm: 'ES256' as const };
    assert.equal(defineConfig(config), config);
    assert.deepEqual(defineConfig(config), { identity: 'myapp', encodeAlgorithm: 'ES256' });
  });

  it('names the file when a .js config is missing or has no default export, or Node cannot import its type', async () => {
    const missing = join(dir, 'conf', 'missing.js');
    await rejects(missing, { setting: '(config)', file: missing, message: /module not found/ });
    const empty = write('conf/empty.js', `export const other = 1;`);
    await rejects(empty, { setting: '(config)', file: empty, message: /must export its settings as default/ });
    const yaml = write('conf/config.yaml', 'identity: myapp\n');
    await rejects(yaml, {
      setting: '(config)',
      file: yaml,
      message: /Node cannot import this type of file \(a config is \.json, \.js, \.mjs, \.cjs, or \.ts\/\.mts with tsx installed\)/,
    });
  });

  it('loads a CommonJS config: its module.exports are the settings', async () => {
    const cjs = write('conf/config.cjs', `module.exports = { identity: 'from-cjs' };`);
    assert.equal((await loadConfig(cjs)).identity, 'from-cjs');
  });
});
