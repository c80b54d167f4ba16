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
}

export interface KeyStoreSettings {
  keyStoreRoot: string | null;
  publicKeys: Record<string, string | readonly string[]>;
  privateKeys: Record<string, string | readonly string[]>;
  /** Algorithms tokens may be verified with; `null`: `[encodeAlgorithm]`. */
  decodeAlgorithms: readonly Algorithm[] | null;
  encodeAlgorithm: Algorithm;
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

function fileList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/** Everything a `KeyStore` answers from, replaced as a whole by `reload`. */
interface KeyStoreState {
  verification: Map<string, Map<string, VerificationKey>>;
  currentVerification: Map<string, VerificationKey>;
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
export class KeyStore implements KeySource {
  private constructor(private state: KeyStoreState) {}

  /** Reads and checks every configured key file. Throws `SettingsError` naming the setting and file. */
  static load(settings: KeyStoreSettings, options: KeyStoreLoadOptions = {}): KeyStore {
    const store = new KeyStore({
      verification: new Map(),
      currentVerification: new Map(),
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
      const loaded: LoadedKey = {
        kid: keyIdFromFileName(fileName, root),
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
    }

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
