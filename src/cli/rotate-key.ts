import { existsSync } from 'node:fs';
import { readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadConfig } from '../config/load.js';
import { resolveSettings } from '../config/resolve.js';
import type { SsoConfig } from '../config/settings.js';
import { InputError, SettingsError } from '../errors.js';
import { checkIssuerName, writeKeyFile } from '../jwt/generate-key.js';
import { KeyStore, keyIdFromFileName } from '../jwt/key-store.js';
import type { Algorithm } from '../jwt/lib/algorithms.js';

export interface RotateKeyOptions {
  /** The issuer whose signing key is replaced. */
  issuer: string;
  /** The config file to update: `.json` is rewritten, any other (`.js`, `.mjs`, `.ts`) is not. */
  config: string;
  /** Folder for the new key file; default the config's `keyStoreRoot`. */
  dir?: string;
  /** Default: the config's `encodeAlgorithm`, else RS256. */
  algorithm?: Algorithm;
  /** Folder a relative `keyStoreRoot` is resolved against, as `serve` does; default `process.cwd()`. */
  cwd?: string;
}

export interface RotateKeyResult {
  /** Absolute path of the new key file. */
  file: string;
  kid: string;
  /** The file as listed in the config (relative to `keyStoreRoot` when there is one). */
  entry: string;
  /** Absolute path of the config file. */
  config: string;
  /** `true`: the JSON config was rewritten; `false`: `change` says what to edit by hand. */
  updated: boolean;
  /** What changed (`updated`) or must change, one line per setting. */
  change: string[];
}

const CODE_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

type KeyFiles = Record<string, string | string[]>;

const asList = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/**
 * Generates a key file and lists it first, for `issuer`, in the config's `privateKeys` (and in
 * `publicKeys` when that lists the issuer; otherwise `privateKeys` already verifies its tokens).
 * The older keys stay listed, so their tokens keep verifying until they are removed. Before
 * anything is written, the updated settings are loaded as `serve` would load them.
 */
export async function rotateKey(options: RotateKeyOptions): Promise<RotateKeyResult> {
  const { issuer } = options;
  checkIssuerName(issuer);
  const cwd = options.cwd ?? process.cwd();
  const configFile = resolve(cwd, options.config);
  if (!existsSync(configFile)) throw new SettingsError('(config)', `config file not found: ${configFile}`, { file: configFile });
  const isJson = extname(configFile) === '.json';

  // The config as `serve` reads it (hooks resolved); `null`: Node cannot load it (TypeScript).
  let current: SsoConfig | null;
  try {
    current = await loadConfig(configFile);
  } catch (error) {
    if (!CODE_EXTENSIONS.has(extname(configFile))) throw error;
    current = null;
  }
  if (current) resolveSettings(current);

  const root = current?.keyStoreRoot ? resolve(cwd, current.keyStoreRoot) : null;
  if (current && !(issuer in (current.privateKeys ?? {})) && current.identity !== issuer) {
    const known = Object.keys(current.privateKeys ?? {});
    throw new InputError(
      `${configFile} has no key for issuer "${issuer}"${current.identity ? ` and its identity is "${current.identity}"` : ''}` +
        (known.length > 0 ? ` (issuers with keys: ${known.join(', ')})` : ''),
    );
  }
  const dirSetting = options.dir ?? current?.keyStoreRoot;
  if (!dirSetting) {
    throw new InputError(
      current
        ? `${configFile} sets no keyStoreRoot: pass --dir DIR, the folder to write the key into`
        : `cannot read keyStoreRoot from ${configFile} (Node cannot load it): pass --dir DIR, the folder to write the key into`,
    );
  }
  const dir = resolve(cwd, dirSetting);
  const inRoot = root === null ? null : relative(root, dir);
  if (inRoot !== null && (inRoot === '..' || inRoot.startsWith(`..${sep}`) || isAbsolute(inRoot))) {
    throw new InputError(`--dir ${dir} is outside keyStoreRoot ${root}: key files are listed relative to it`);
  }

  const file = await writeKeyFile({ issuer, dir, algorithm: options.algorithm ?? current?.encodeAlgorithm ?? 'RS256' });
  try {
    // Unknown config: --dir is taken to be its keyStoreRoot. No keyStoreRoot: the absolute path.
    const entry = root ? relative(root, file).split(sep).join('/') : current ? file : basename(file);
    const kid = keyIdFromFileName(entry, root);
    const result = { file, kid, entry, config: configFile };
    if (!current) return { ...result, updated: false, change: unknownChange(issuer, entry) };

    const privateKeys: KeyFiles = { ...current.privateKeys, [issuer]: [entry, ...asList(current.privateKeys?.[issuer])] };
    const hasPublic = current.publicKeys !== undefined && issuer in current.publicKeys;
    const publicKeys: KeyFiles | undefined = hasPublic
      ? { ...current.publicKeys, [issuer]: [entry, ...asList(current.publicKeys![issuer])] }
      : undefined;
    // As serve would load it: every listed key file must be usable with the new one first.
    KeyStore.load(resolveSettings({ ...current, privateKeys, ...(publicKeys ? { publicKeys } : {}) }), { cwd });

    const show = (list: string | string[] | undefined) =>
      `[${asList(list)
        .map((f) => JSON.stringify(f))
        .join(', ')}]`;
    const change = [`privateKeys.${issuer}: ${show(privateKeys[issuer])}`];
    if (publicKeys) change.push(`publicKeys.${issuer}: ${show(publicKeys[issuer])}`);
    if (!isJson) return { ...result, updated: false, change };
    await rewriteJsonConfig(configFile, (raw) => {
      raw.privateKeys = { ...(raw.privateKeys as KeyFiles | undefined), [issuer]: privateKeys[issuer]! };
      if (publicKeys) (raw.publicKeys as KeyFiles)[issuer] = publicKeys[issuer]!;
    });
    return { ...result, updated: true, change };
  } catch (error) {
    await unlink(file).catch(() => undefined);
    throw error;
  }
}

function unknownChange(issuer: string, entry: string): string[] {
  return [
    `privateKeys.${issuer}: put ${JSON.stringify(entry)} first, before the current keys`,
    `publicKeys.${issuer} (if listed): put ${JSON.stringify(entry)} first, before the current keys`,
  ];
}

/**
 * Edits the JSON object in `file` (other settings keep their values and order) and replaces the
 * file atomically: a temporary file beside it, renamed over it. A symbolic link is followed.
 */
async function rewriteJsonConfig(file: string, edit: (raw: Record<string, unknown>) => void): Promise<void> {
  const target = await realpath(file);
  const raw = JSON.parse(await readFile(target, 'utf8')) as Record<string, unknown>;
  edit(raw);
  const { mode } = await stat(target);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(raw, null, 2)}\n`, { mode: mode & 0o777, flag: 'wx' });
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
