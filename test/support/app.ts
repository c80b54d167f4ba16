import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `input` goes to its stdin. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; input?: string; timeout?: number },
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 300_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like `run`, but a non-zero exit is an error carrying the output. */
export async function ok(command: string, args: string[], options: Parameters<typeof run>[2]): Promise<Run> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * `npm pack` of this repository as a release would make it (its `prepack` builds `dist/` from
 * src), from a copy of the files it needs, so that the tests' own `dist/` is left alone.
 */
export async function packPackage(into: string): Promise<string> {
  const stage = join(into, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'README.md', 'LICENSE']) {
    cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  await ok('npm', ['pack', '--pack-destination', into, '--silent'], { cwd: stage });
  const tarball = readdirSync(into).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  return join(into, tarball);
}

/** An empty ESM application folder, as `npm init -y && npm pkg set type=module` makes it. */
export function createApp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface Service {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running command and resolves once `ready` answers (polled), or fails with its output. */
export async function startService(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; ready: () => Promise<boolean>; timeout?: number },
): Promise<Service> {
  // A process group of its own: `npx` runs the command in a child, and both must get the signal.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const service: Service = {
    child,
    output: () => out,
    stop: () =>
      new Promise((done) => {
        const signal = (name: NodeJS.Signals) => {
          try {
            process.kill(-child.pid!, name);
          } catch {
            // the group is gone already
          }
        };
        const killer = setTimeout(() => signal('SIGKILL'), 10_000);
        child.stdout!.once('close', () => {
          // stdout closes when the last process of the group holding it has exited.
          clearTimeout(killer);
          done();
        });
        signal('SIGINT');
      }),
  };
  const deadline = Date.now() + (options.timeout ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited with ${child.exitCode}:\n${out}`);
    if (await options.ready().catch(() => false)) return service;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await service.stop();
  throw new Error(`${command} ${args.join(' ')} did not become ready:\n${out}`);
}

export interface GraphQLAnswer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

export async function postGraphQL(url: string, query: string, token?: string): Promise<GraphQLAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLAnswer['body'] };
}

/** The error codes of an answer, by path (`account.balance`). */
export function errorCodes(answer: GraphQLAnswer): Record<string, string> {
  return Object.fromEntries((answer.body.errors ?? []).map((e) => [(e.path ?? []).join('.'), String(e.extensions?.code)]));
}

/** The packages an application's own files import here; graphql-sso itself is this repository. */
const LINKED_PACKAGES = ['@mikro-orm', 'type-graphql', 'graphql', 'reflect-metadata'];

export interface AppDir {
  dir: string;
  /** Writes `text` to `path` (relative to the folder); returns the absolute path. */
  write(path: string, text: string): string;
  remove(): void;
}

/**
 * A folder laid out like an application that installed graphql-sso: a package.json (an ES-module
 * package unless `type` says otherwise), a tsconfig.json with the decorators type-graphql and
 * MikroORM need, and node_modules linking graphql-sso (this repository) and its peers. Links
 * resolve to the very files the CLI runs, so the app's `User` is the identity's.
 */
export function createAppDir(prefix: string, { type = 'module' }: { type?: 'module' | 'commonjs' } = {}): AppDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const write = (path: string, text: string) => {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  write('package.json', JSON.stringify({ name: 'app', private: true, type }));
  write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', experimentalDecorators: true, useDefineForClassFields: false },
    }),
  );
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'graphql-sso'), 'dir');
  for (const name of LINKED_PACKAGES) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The payload of a JWT, unverified. */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}
