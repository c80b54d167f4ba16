import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const BIN = join(ROOT, 'bin/graphql-sso.js');

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/** `graphql-sso serve` as a child process on a free port; resolves once it listens. */
export function startServe(env: Record<string, string>, args: string[] = [], { cwd = ROOT }: { cwd?: string } = {}): Promise<ServeProcess> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', SSO_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 30_000);
    const stop = () =>
      new Promise<number | null>((exited) => {
        if (child.exitCode !== null) return exited(child.exitCode);
        child.removeAllListeners('exit');
        child.on('exit', (code) => exited(code));
        child.kill('SIGINT');
      });
    const onData = (d: Buffer) => {
      out += d;
      const match = /identity service: (http:\/\/\S+\/graphql)/.exec(out);
      if (match) {
        clearTimeout(timer);
        done({ child, url: match[1]!, output: () => out, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `graphql-sso` binary to completion. */
export function runCli(
  args: string[],
  { env = {}, input, cwd = ROOT }: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: '', SSO_CONFIG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
