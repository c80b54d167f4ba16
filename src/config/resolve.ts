import { SettingsError } from '../errors.js';
import { decodeJwtToken } from '../jwt/decode.js';
import { encodeJwtToken } from '../jwt/encode.js';
import { SUPPORTED_ALGORITHMS, isSupportedAlgorithm } from '../jwt/lib/algorithms.js';
import { createAuthorizationPayload, createSessionPayload } from '../jwt/payloads.js';
import { authenticatePayload } from './authenticate-payload.js';
import { checkEntities, namedMigrations, notAList } from './lib/application-tables.js';
import type { LoginThrottleSettings, RequestLimits, SsoConfig, SsoSettings } from './settings.js';

export const DEFAULT_SETTINGS: Readonly<SsoSettings> = Object.freeze({
  createSessionPayload,
  createAuthorizationPayload,
  encodeJwtToken,
  decodeJwtToken,
  authenticatePayload,
  encodeAlgorithm: 'RS256',
  decodeAlgorithms: null,
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
  jwksUrls: {},
  authenticateHeader: 'JWT',
  trustProxy: false,
  passwordHashRounds: 12,
  authorizationArgs: null,
  adminScope: 'sso:admin',
  sessionIdleTimeout: null,
  sessionCacheTtl: 60,
  verifiedTokenCacheSize: 10_000,
  metrics: true,
  limits: Object.freeze({
    maxBodyBytes: 1024 * 1024,
    maxTokenLength: 8192,
    maxDepth: 15,
    maxAliases: 30,
    maxRootFields: 20,
    maxBatchOperations: 10,
  }),
  introspection: null,
  databaseTimeout: 5,
  shutdownDelay: 0,
  loginThrottle: Object.freeze({ usernameAttempts: 5, ipAttempts: 100, backoff: Object.freeze({ base: 1, max: 900 }), window: 3600 }),
  redisUrl: null,
  entities: Object.freeze([]),
  migrations: Object.freeze([]),
});

type Check = (value: unknown) => string | null;

const isFunction: Check = (v) => (typeof v === 'function' ? null : 'must be a function');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const nonNegativeSeconds: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number of seconds (0 or more)';
const positiveSeconds: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number of seconds greater than 0';
const nullable = (check: Check): Check => (v) => (v === null ? null : check(v));
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim().length > 0 ? null : 'must be a non-empty string');
const stringList: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0) ? null : 'must be a list of non-empty strings';
const algorithm: Check = (v) =>
  isSupportedAlgorithm(v) ? null : `must be one of ${SUPPORTED_ALGORITHMS.join(', ')} (got ${JSON.stringify(v)})`;
const algorithmList: Check = (v) =>
  Array.isArray(v) && v.length > 0 ? (v.map(algorithm).find((e) => e !== null) ?? null) : 'must be a non-empty list of algorithms';
const keyFiles: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'must map each issuer to a key file or a list of key files';
  for (const [issuer, files] of Object.entries(v)) {
    const list = typeof files === 'string' ? [files] : files;
    if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && f.length > 0)) {
      return `issuer "${issuer}" must map to a key file name or a non-empty list of them`;
    }
  }
  return null;
};

const atLeastOne = (unit: string): Check => (v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? null : `must be a whole number of ${unit} (1 or more)`);

const LIMIT_CHECKS: Record<keyof RequestLimits, Check> = {
  maxBodyBytes: atLeastOne('bytes'),
  maxTokenLength: atLeastOne('characters'),
  maxDepth: atLeastOne('levels'),
  maxAliases: atLeastOne('aliases'),
  maxRootFields: atLeastOne('fields'),
  maxBatchOperations: atLeastOne('operations'),
};

/** `limits` given in part keep the other defaults; each limit is checked under its own name (`limits.maxDepth`). */
function resolveLimits(given: Record<string, unknown>): RequestLimits {
  for (const key of Object.keys(given)) {
    if (!(key in LIMIT_CHECKS)) throw new SettingsError(`limits.${key}`, `unknown limit (the limits are ${Object.keys(LIMIT_CHECKS).join(', ')})`);
  }
  const limits: Record<string, unknown> = { ...DEFAULT_SETTINGS.limits };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) limits[key] = value;
  for (const [key, check] of Object.entries(LIMIT_CHECKS)) {
    const problem = check(limits[key]);
    if (problem) throw new SettingsError(`limits.${key}`, problem);
  }
  return limits as unknown as RequestLimits;
}

const LOGIN_THROTTLE_OPTIONS = ['usernameAttempts', 'ipAttempts', 'backoff', 'window'];
const loginThrottle: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'must be null or an object { usernameAttempts, ipAttempts, backoff: { base, max }, window }';
  const options = v as Record<string, unknown>;
  const unknown = Object.keys(options).find((key) => !LOGIN_THROTTLE_OPTIONS.includes(key));
  if (unknown) return `unknown option "${unknown}" (options: ${LOGIN_THROTTLE_OPTIONS.join(', ')})`;
  for (const key of ['usernameAttempts', 'ipAttempts']) {
    if (!Number.isSafeInteger(options[key]) || (options[key] as number) < 1) return `${key} must be a whole number of attempts (1 or more)`;
  }
  const backoff = options.backoff as Record<string, unknown> | null;
  if (backoff === null || typeof backoff !== 'object' || Array.isArray(backoff)) return 'backoff must be an object { base, max } of seconds';
  const extra = Object.keys(backoff).find((key) => key !== 'base' && key !== 'max');
  if (extra) return `unknown option "backoff.${extra}" (options: base, max)`;
  const baseProblem = positiveSeconds(backoff.base);
  if (baseProblem) return `backoff.base ${baseProblem}`;
  const { base, max } = backoff as { base: number; max: unknown };
  if (typeof max !== 'number' || !Number.isFinite(max) || max < base) return 'backoff.max must be a number of seconds, at least backoff.base';
  if (typeof options.window !== 'number' || !Number.isFinite(options.window) || options.window < max) {
    return 'window must be a number of seconds, at least backoff.max';
  }
  return null;
};

/** A partial `loginThrottle` (e.g. only `ipAttempts`) is completed from the defaults. */
function completeLoginThrottle(given: unknown): unknown {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return given;
  const defaults = DEFAULT_SETTINGS.loginThrottle as LoginThrottleSettings;
  const { backoff } = given as { backoff?: unknown };
  const completeBackoff = backoff !== null && typeof backoff === 'object' && !Array.isArray(backoff) ? { ...defaults.backoff, ...backoff } : backoff;
  return { ...defaults, ...given, backoff: completeBackoff ?? defaults.backoff };
}

const CHECKS: Record<keyof SsoSettings, Check> = {
  createSessionPayload: isFunction,
  createAuthorizationPayload: isFunction,
  encodeJwtToken: isFunction,
  decodeJwtToken: isFunction,
  authenticatePayload: isFunction,
  encodeAlgorithm: algorithm,
  decodeAlgorithms: nullable(algorithmList),
  verifySignature: isBoolean,
  verifyExpiration: isBoolean,
  verifyIssuer: isBoolean,
  verifyAudience: isBoolean,
  verifySessionToken: isBoolean,
  expirationLeeway: nonNegativeSeconds,
  sessionExpiration: nullable(positiveSeconds),
  authorizationExpiration: positiveSeconds,
  identity: nullable(nonEmptyString),
  sessionAudience: nullable(stringList),
  authorizationAudience: nullable(stringList),
  acceptedIssuers: nullable(stringList),
  keyStoreRoot: nullable(nonEmptyString),
  publicKeys: keyFiles,
  privateKeys: keyFiles,
  jwksUrls: (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'must map each issuer to the URL of its JWKS';
    for (const [issuer, url] of Object.entries(v)) {
      if (typeof url !== 'string' || !/^https?:\/\/./.test(url)) return `issuer "${issuer}" must map to an http(s) URL`;
    }
    return null;
  },
  authenticateHeader: (v) =>
    typeof v === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) ? null : 'must be an HTTP auth scheme such as "JWT" or "Bearer"',
  trustProxy: isBoolean,
  passwordHashRounds: (v) => (Number.isInteger(v) && (v as number) >= 4 && (v as number) <= 31 ? null : 'must be a whole number from 4 to 31'),
  authorizationArgs: nullable((v) => (typeof v === 'function' ? null : 'must be a type-graphql @ArgsType() class')),
  adminScope: nullable(nonEmptyString),
  sessionIdleTimeout: nullable((v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 60 ? null : 'must be a number of seconds of at least 60 (last use is recorded once a minute)'),
  sessionCacheTtl: nonNegativeSeconds,
  verifiedTokenCacheSize: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'must be a whole number of tokens (0 or more; 0 turns the cache off)'),
  metrics: isBoolean,
  limits: (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `must be an object of limits (${Object.keys(LIMIT_CHECKS).join(', ')})`),
  introspection: nullable(isBoolean),
  databaseTimeout: positiveSeconds,
  shutdownDelay: nonNegativeSeconds,
  loginThrottle: nullable(loginThrottle),
  redisUrl: nullable((v) => (typeof v === 'string' && /^rediss?:\/\/./.test(v) ? null : 'must be a redis:// or rediss:// URL')),
  entities: (v) => notAList('entities', v),
  migrations: (v) => notAList('migrations', v),
};

/** Audiences may be written as one string, as in the original's examples. */
const LIST_SETTINGS = ['sessionAudience', 'authorizationAudience', 'acceptedIssuers'] as const;

/**
 * Merges a config with the defaults and validates every value. Throws `SettingsError` naming the
 * first setting at fault. Key files are checked later, by `KeyStore.load`.
 */
export function resolveSettings(config: SsoConfig = {}): SsoSettings {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new SettingsError('(config)', 'the configuration must be an object of settings');
  }
  const given: Record<string, unknown> = { ...config };
  for (const key of Object.keys(given)) {
    if (!(key in CHECKS)) {
      const hint = Object.keys(CHECKS).find((k) => k.toLowerCase() === key.toLowerCase().replace(/_/g, ''));
      throw new SettingsError(key, `unknown setting${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    if (given[key] === undefined) delete given[key];
  }
  for (const key of LIST_SETTINGS) if (typeof given[key] === 'string') given[key] = [given[key]];
  if ('loginThrottle' in given) given.loginThrottle = completeLoginThrottle(given.loginThrottle);
  const settings = { ...DEFAULT_SETTINGS, ...given } as SsoSettings;
  for (const [key, check] of Object.entries(CHECKS) as [keyof SsoSettings, Check][]) {
    const problem = check(settings[key]);
    if (problem) throw new SettingsError(key, problem);
  }
  settings.limits = resolveLimits(settings.limits as unknown as Record<string, unknown>);
  // Each entry under its own name (`migrations[1]`); clashes with the identity's own migration
  // names are found where those are known, when the database is opened.
  checkEntities(settings.entities);
  namedMigrations(settings.migrations);
  if (settings.decodeAlgorithms === null) settings.decodeAlgorithms = [settings.encodeAlgorithm];
  if (settings.verifyAudience && settings.identity === null && Object.keys({ ...settings.publicKeys, ...settings.privateKeys, ...settings.jwksUrls }).length > 0) {
    throw new SettingsError('identity', 'is required while verifyAudience is true: tokens are accepted only when their "aud" names this service');
  }
  if (settings.identity !== null && Object.keys(settings.privateKeys).length > 0 && !(settings.identity in settings.privateKeys)) {
    throw new SettingsError(`privateKeys.${settings.identity}`, `no private key is configured for identity "${settings.identity}", so it cannot issue tokens`);
  }
  return settings;
}
