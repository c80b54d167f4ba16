import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, basename, sep } from 'node:path';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { AuthenticationError, KeyError, SettingsError } from '../errors.js';
import { algorithmsForKey, type Algorithm } from './lib/algorithms.js';
import { parsePemKeys } from './lib/pem.js';

export interface VerificationKey {
  issuer: string;
  kid: string;
  publicKey: KeyObject;
  /** Algorithms this key accepts: those of its own type, intersected with the allowed ones. */
  algorithms: readonly Algorithm[];
}

export interface SigningKey {
  issuer: string;
  kid: string;
  privateKey: KeyObject;
  algorithms: readonly Algorithm[];
}

/** Anything that finds an issuer's public key by `kid`: a `KeyStore` of PEM files, a remote JWKS. */
export interface KeySource {
  getVerificationKey(issuer: string, kid: string | undefined): VerificationKey | Promise<VerificationKey>;
  /**
   * The one issuer whose keys here include `kid` (without `kid`: the one issuer there are keys
   * for), or `undefined` when none or several do, or when it cannot tell without fetching.
   * Optional, answered at once, and a hint only: `decodeJwtToken` then lets jsonwebtoken decode
   * the token just once, taking this issuer's key for `kid` and requiring the issuer in the
   * verified `iss` — the key that `iss` and `kid` choose. A wrong answer costs time, never a
   * wrong verdict.
   */
  issuerOfKey?(kid: string | undefined): string | undefined;
}

/** What signs: a `KeyStore` holding private keys. */
export interface SigningKeySource {
  getSigningKey(issuer: string): SigningKey;
}

export interface KeyStoreSettings {
  readonly keyStoreRoot: string | null;
  readonly publicKeys: Readonly<Record<string, string | readonly string[]>>;
  readonly privateKeys: Readonly<Record<string, string | readonly string[]>>;
  /** Algorithms tokens may be verified with; `null`: `[encodeAlgorithm]`. */
  readonly decodeAlgorithms: readonly Algorithm[] | null;
  readonly encodeAlgorithm: Algorithm;
}

export interface JwksKey extends JsonWebKey {
  kid: string;
  alg: Algorithm;
  use: 'sig';
}

interface LoadedKey {
  kid: string;
  file: string;
  publicKey: KeyObject;
  privateKey?: KeyObject;
}

/** A file name as configured, made into the key id exactly as django-rest-framework-sso does. */
export function keyIdFromFileName(fileName: string, keyStoreRoot: string | null): string {
  let name = fileName;
  if (isAbsolute(name)) name = keyStoreRoot ? relative(resolve(keyStoreRoot), name) : basename(name);
  name = name.split(sep).join('/');
  return name.endsWith('.pem') ? name.slice(0, -4) : name;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function fileList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/** Everything a `KeyStore` answers from, replaced as a whole by `reload`. */
interface KeyStoreState {
  verification: Map<string, Map<string, VerificationKey>>;
  currentVerification: Map<string, VerificationKey>;
  /** `kid` -> the issuer listing it, or `null` when several do. */
  issuerByKid: Map<string, string | null>;
  /** The issuer, when there is only one. */
  soleIssuer: string | undefined;
  signing: Map<string, SigningKey>;
  encodeAlgorithm: Algorithm;
}

export interface KeyStoreLoadOptions {
  /** Folder relative paths (`keyStoreRoot`, or key files without it) are resolved against; default `process.cwd()`. */
  cwd?: string;
}

export interface KeyStoreReloadOptions extends KeyStoreLoadOptions {
  /** Refuse the new keys unless they hold a private key for this issuer (the identity service's own). */
  requireSigningKey?: string | null;
}

/**
 * The issuers' keys, read from PEM files at start-up (and by `reload`) and kept as `KeyObject`s:
 * nothing on the request path reads a file or parses a PEM. Per issuer the first file listed is
 * the current signing key; every listed key verifies.
 */
export class KeyStore implements KeySource, SigningKeySource {
  private constructor(private state: KeyStoreState) {}

  /** Reads and checks every configured key file. Throws `SettingsError` naming the setting and file. */
  static load(settings: KeyStoreSettings, options: KeyStoreLoadOptions = {}): KeyStore {
    const store = new KeyStore({
      verification: new Map(),
      currentVerification: new Map(),
      issuerByKid: new Map(),
      soleIssuer: undefined,
      signing: new Map(),
      encodeAlgorithm: settings.encodeAlgorithm,
    });
    const { verification, currentVerification, signing } = store.state;
    const allowed = settings.decodeAlgorithms ?? [settings.encodeAlgorithm];
    const root = settings.keyStoreRoot ? resolve(options.cwd ?? process.cwd(), settings.keyStoreRoot) : null;
    const cache = new Map<string, LoadedKey>();
    const read = (setting: string, fileName: string): LoadedKey => {
      const file = root ? resolve(root, fileName) : resolve(options.cwd ?? process.cwd(), fileName);
      const cached = cache.get(file);
      if (cached) return cached;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'file not readable';
        throw new SettingsError(setting, `key file ${file}: ${reason}`, { file, cause: error });
      }
      let keys;
      try {
        keys = parsePemKeys(text);
      } catch (error) {
        throw new SettingsError(setting, `key file ${file}: ${(error as Error).message}`, { file, cause: error });
      }
      const kid = keyIdFromFileName(fileName, root);
      // jsonwebtoken writes and reads token headers byte for byte as Latin-1: any other kid
      // would be signed as bytes no verifier reads back as its text.
      if (!PRINTABLE_ASCII.test(kid)) {
        throw new SettingsError(setting, `key file ${file}: its key id ${JSON.stringify(kid)} (the file name) must be printable ASCII`, {
          file,
        });
      }
      const loaded: LoadedKey = {
        kid,
        file,
        publicKey: keys.publicKey!,
        privateKey: keys.privateKey,
      };
      if (algorithmsForKey(loaded.publicKey).length === 0) {
        throw new SettingsError(setting, `key file ${file}: unsupported key type`, { file });
      }
      cache.set(file, loaded);
      return loaded;
    };

    for (const [issuer, files] of Object.entries(settings.privateKeys)) {
      const list = fileList(files);
      list.forEach((fileName) => {
        const key = read(`privateKeys.${issuer}`, fileName);
        if (!key.privateKey) {
          throw new SettingsError(`privateKeys.${issuer}`, `key file ${key.file} holds no private key`, {
            file: key.file,
          });
        }
      });
      const current = read(`privateKeys.${issuer}`, list[0]!);
      const algorithms = algorithmsForKey(current.publicKey);
      if (!algorithms.includes(settings.encodeAlgorithm)) {
        throw new SettingsError(
          'encodeAlgorithm',
          `${settings.encodeAlgorithm} cannot be used with the ${current.publicKey.asymmetricKeyType} key in ${current.file} (it allows ${algorithms.join(', ')})`,
          { file: current.file },
        );
      }
      const bits = current.publicKey.asymmetricKeyDetails?.modulusLength;
      if (bits !== undefined && bits < 2048) {
        throw new SettingsError(
          `privateKeys.${issuer}`,
          `key file ${current.file} holds an RSA key of ${bits} bits; tokens are signed only with 2048 bits or more`,
          {
            file: current.file,
          },
        );
      }
      signing.set(issuer, { issuer, kid: current.kid, privateKey: current.privateKey!, algorithms });
    }
    // An issuer's private keys verify its tokens too, unless its public keys are listed apart.
    const publicKeys = { ...settings.privateKeys, ...settings.publicKeys };
    for (const [issuer, files] of Object.entries(publicKeys)) {
      const byKid = new Map<string, VerificationKey>();
      fileList(files).forEach((fileName, index) => {
        const key = read(`publicKeys.${issuer}`, fileName);
        const algorithms = algorithmsForKey(key.publicKey).filter((a) => allowed.includes(a));
        if (algorithms.length === 0) {
          throw new SettingsError(
            `publicKeys.${issuer}`,
            `key file ${key.file} (${key.publicKey.asymmetricKeyType}) cannot verify any of decodeAlgorithms [${allowed.join(', ')}]`,
            { file: key.file },
          );
        }
        const entry: VerificationKey = { issuer, kid: key.kid, publicKey: key.publicKey, algorithms };
        byKid.set(key.kid, entry);
        if (index === 0) currentVerification.set(issuer, entry);
      });
      verification.set(issuer, byKid);
      for (const kid of byKid.keys()) store.state.issuerByKid.set(kid, store.state.issuerByKid.has(kid) ? null : issuer);
    }
    if (verification.size === 1) store.state.soleIssuer = verification.keys().next().value;

    return store;
  }

  /**
   * Reads the key files `settings` names into a new store first and then, only if every file is
   * usable, takes its keys over in one assignment: each lookup sees either all the old keys or
   * all the new ones, and the store object stays the same (whoever holds it sees the new keys).
   * On any error it throws (`SettingsError`, as `load`) and the current keys stay in use.
   */
  reload(settings: KeyStoreSettings, options: KeyStoreReloadOptions = {}): void {
    const next = KeyStore.load(settings, options);
    const issuer = options.requireSigningKey;
    if (issuer && !next.hasSigningKey(issuer)) {
      throw new SettingsError(`privateKeys.${issuer}`, `no private key is configured for issuer "${issuer}"`);
    }
    this.state = next.state;
  }

  /** The current (first listed) private key of an issuer. */
  getSigningKey(issuer: string): SigningKey {
    const key = this.state.signing.get(issuer);
    if (!key) throw new KeyError('KEY_NOT_FOUND', `No private key is configured for issuer "${issuer}".`);
    return key;
  }

  /** An issuer's public key by `kid`; without `kid`, its current key (as the original does). */
  getVerificationKey(issuer: string, kid: string | undefined): VerificationKey {
    const { verification, currentVerification } = this.state;
    const key = kid === undefined ? currentVerification.get(issuer) : verification.get(issuer)?.get(kid);
    if (!key) throw new AuthenticationError('KEY_NOT_FOUND', 'Unauthorized token signing key.');
    return key;
  }

  issuerOfKey(kid: string | undefined): string | undefined {
    return kid === undefined ? this.state.soleIssuer : (this.state.issuerByKid.get(kid) ?? undefined);
  }

  hasSigningKey(issuer: string): boolean {
    return this.state.signing.has(issuer);
  }

  /**
   * The public keys of the issuers this store signs for, as a JSON Web Key Set, for
   * `GET /.well-known/jwks.json`. Keys of issuers it only accepts are left out: a reader of this
   * set trusts every key in it for this service's own tokens.
   */
  toJwks(): { keys: JwksKey[] } {
    const { verification, signing, encodeAlgorithm } = this.state;
    const keys: JwksKey[] = [];
    for (const [issuer, byKid] of verification) {
      if (!signing.has(issuer)) continue;
      for (const key of byKid.values()) {
        const alg = key.algorithms.includes(encodeAlgorithm) ? encodeAlgorithm : key.algorithms[0]!;
        keys.push({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg, use: 'sig' });
      }
    }
    return { keys };
  }
}
