import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** `install/package.json` and its lockfile pin Hive Gateway's whole tree (~750 packages, ~500 MB). */
const SOURCE = resolve(import.meta.dirname, '../../../examples/hive-gateway/install');
const MARKER = '.graphql-sso-installed';

/**
 * The Hive Gateway this repository is tested with, as `install/package.json` pins it: 2.15.1,
 * the newest release. Its tree holds packages that declare `node >= 22.15`
 * (`@whatwg-node/promise-helpers` 2, `disposablestack` 0.1, `@whatwg-node/fetch` 0.12,
 * `sync-fetch` 0.7), but they feature-detect what Node 22 added (`Promise.withResolvers`,
 * `Symbol.asyncDispose`) and fall back, so it runs on Node 20 — which the Hive test proves on
 * every CI run. npm prints EBADENGINE warnings while installing it.
 */
export const HIVE_GATEWAY_VERSION: string = (
  JSON.parse(readFileSync(join(SOURCE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
).dependencies['@graphql-hive/gateway']!;

/**
 * Where Hive Gateway is installed: `HIVE_GATEWAY_DIR`, else
 * `${XDG_CACHE_HOME:-~/.cache}/graphql-sso/hive-gateway-<version>` — outside the repository, so
 * that neither the package nor its lockfile ever depends on it, and shared by every clone.
 */
export function hiveGatewayDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HIVE_GATEWAY_DIR) return resolve(env.HIVE_GATEWAY_DIR);
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'graphql-sso', `hive-gateway-${HIVE_GATEWAY_VERSION}`);
}

/** The `hive-gateway` command of an installation. */
export function hiveGatewayBin(dir: string): string {
  return join(dir, 'node_modules', '.bin', 'hive-gateway');
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} failed (${code}) in ${cwd}:\n${output}`)),
    );
  });
}

/**
 * Hive Gateway, installed from the pinned lockfile into `dir` unless it already is (a marker
 * records the lockfile's hash, so a changed pin reinstalls). It is installed beside `dir` and
 * renamed into place, so an interrupted install leaves nothing half-done and two runs at once
 * do not collide. Install scripts are not run (Hive Gateway needs none). Returns the
 * `hive-gateway` command. Takes a minute or so the first time.
 */
export async function installHiveGateway(dir: string = hiveGatewayDir(), log: (message: string) => void = () => {}): Promise<string> {
  const lock = await readFile(join(SOURCE, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const installed = await readFile(join(dir, MARKER), 'utf8').catch(() => null);
  if (installed === hash && existsSync(hiveGatewayBin(dir))) return hiveGatewayBin(dir);

  log(`Installing Hive Gateway ${HIVE_GATEWAY_VERSION} into ${dir} (about 500 MB, once)...`);
  await mkdir(dirname(dir), { recursive: true });
  const staging = `${dir}.installing-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    await copyFile(join(SOURCE, 'package.json'), join(staging, 'package.json'));
    await copyFile(join(SOURCE, 'package-lock.json'), join(staging, 'package-lock.json'));
    await run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], staging);
    await writeFile(join(staging, MARKER), hash);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another run may have put the same installation in place meanwhile.
    if ((await readFile(join(dir, MARKER), 'utf8').catch(() => null)) === hash) return hiveGatewayBin(dir);
    throw error;
  }
  return hiveGatewayBin(dir);
}
