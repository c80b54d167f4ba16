import type { TokenPayload, UnsignedPayload } from './claims.js';
import type { KeySource, KeyStoreSettings, SigningKeySource } from './key-store.js';
import type { Algorithm } from './lib/algorithms.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

/**
 * The settings the token layer reads — `encodeJwtToken`, `decodeJwtToken`, the key sources and the
 * verified-token cache — and nothing of the service around them, so that the layer stands on its
 * own. `SsoSettings` is one; so is a plain object in a script or a test.
 */
export interface TokenSettings extends KeyStoreSettings {
  /** This service's name: the `iss` of the tokens it issues and the `aud` it accepts. */
  readonly identity: string | null;
  /** Issuers whose tokens are accepted; `null`: any issuer with a configured key. */
  readonly acceptedIssuers: readonly string[] | null;
  readonly encodeAlgorithm: Algorithm;
  /** `null` means `[encodeAlgorithm]`. */
  readonly decodeAlgorithms: readonly Algorithm[] | null;
  readonly verifySignature: boolean;
  readonly verifyExpiration: boolean;
  /** `aud` must contain `identity`. */
  readonly verifyAudience: boolean;
  /** Seconds of tolerance for `exp` and `nbf`. */
  readonly expirationLeeway: number;
  /** Seconds a session token lives; `null`: it never expires (it can be revoked). */
  readonly sessionExpiration: number | null;
  /** Seconds an authorization token lives. */
  readonly authorizationExpiration: number;
  readonly sessionAudience: readonly string[] | null;
  readonly authorizationAudience: readonly string[] | null;
  /** Issuer -> its JWKS URL, for services that fetch public keys rather than read files. */
  readonly jwksUrls: Readonly<Record<string, string>>;
}

/**
 * What encode and decode work with; `now` (seconds) is injectable for tests. `S` is the type of
 * the settings the caller passes: the hooks of `SsoSettings` get an `SsoSettings`.
 */
export interface TokenContext<S extends TokenSettings = TokenSettings> {
  settings: S;
  keys: KeySource & Partial<SigningKeySource>;
  now?: () => number;
  /** Tokens already verified, for `decodeJwtToken` to answer from (`createSsoContext` passes its own). */
  cache?: VerifiedTokenCache;
}

/** The `encodeJwtToken` setting: a payload in, a signed token out. */
export type EncodeJwtToken<S extends TokenSettings = TokenSettings> = (
  payload: UnsignedPayload,
  context: TokenContext<S>,
) => string | Promise<string>;

/** The `decodeJwtToken` setting: a token in, its verified payload out; throw `AuthenticationError` to refuse it. */
export type DecodeJwtToken<S extends TokenSettings = TokenSettings> = (
  token: string,
  context: TokenContext<S>,
) => TokenPayload | Promise<TokenPayload>;
