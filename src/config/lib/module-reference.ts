import { resolve } from 'node:path';
import { SettingsError } from '../../errors.js';
import { importConfigModule } from './import-module.js';

/** What a `"module-path#exportName"` reference of a JSON config names, once imported. */
export interface ResolvedReference {
  value: unknown;
  /** The module file, when the path is relative or absolute (not a package name). */
  file?: string;
}

async function importPackage(specifier: string, setting: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new SettingsError(setting, `cannot load module "${specifier}": ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Resolves `"./hooks.js#createAuthorizationPayload"` relative to `baseDir` (the JSON file's
 * folder); a path that starts with neither `.` nor `/` is a package. Any module Node or tsx
 * loads may be named, `.ts` included.
 */
async function resolveReference(reference: string, baseDir: string, setting: string): Promise<ResolvedReference> {
  const hash = reference.lastIndexOf('#');
  if (hash <= 0 || hash === reference.length - 1) {
    throw new SettingsError(setting, `must be "module-path#exportName" (got ${JSON.stringify(reference)})`);
  }
  const modulePath = reference.slice(0, hash);
  const exportName = reference.slice(hash + 1);
  const file = modulePath.startsWith('.') || modulePath.startsWith('/') ? resolve(baseDir, modulePath) : undefined;
  const mod = file === undefined ? await importPackage(modulePath, setting) : await importConfigModule(file, setting);
  if (!(exportName in mod)) throw new SettingsError(setting, `${modulePath} has no export named "${exportName}"`, { file });
  return { value: mod[exportName], file };
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/** A hook setting's reference: its export must be a function (or a class, for `authorizationArgs`). */
export async function resolveFunctionReference(reference: string, baseDir: string, setting: string): Promise<unknown> {
  const { value, file } = await resolveReference(reference, baseDir, setting);
  if (typeof value !== 'function') throw new SettingsError(setting, `${reference} is not a function (it is ${kindOf(value)})`, { file });
  return value;
}

/**
 * A list setting's value (`entities`, `migrations`) in a JSON config: one reference to an
 * exported list (`"./entities.js#entities"`), or a list whose strings each name one entry
 * (`["./member.js#AccountMember"]`, checked as `entities[0]`). Other entries are left as they
 * are, for `resolveSettings` to check.
 */
export async function resolveListReferences(value: unknown, baseDir: string, setting: string): Promise<unknown> {
  if (typeof value === 'string') {
    const { value: list, file } = await resolveReference(value, baseDir, setting);
    if (!Array.isArray(list)) {
      throw new SettingsError(
        setting,
        `${value} is not a list (it is ${kindOf(list)}): export an array, or list references to each entry ["module#export", ...]`,
        { file },
      );
    }
    return list;
  }
  if (!Array.isArray(value)) return value;
  const entries: unknown[] = [];
  for (const [index, entry] of value.entries()) {
    entries.push(typeof entry === 'string' ? (await resolveReference(entry, baseDir, `${setting}[${index}]`)).value : entry);
  }
  return entries;
}
