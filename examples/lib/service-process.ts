import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServiceProcess {
  /** Where it serves GraphQL. */
  url: string;
  pid: number;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited. */
  close(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** For messages: `gateway`, `Hive Gateway`. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Matched against what the process prints (stdout and stderr); its first group, or `url`, is where it listens. */
  ready: RegExp;
  /** The URL when `ready` has no group (e.g. the process prints its port only). */
  url?: (match: RegExpExecArray) => string;
  /** How long it may take to be ready (default 60 s: Hive Gateway's first start compiles its config). */
  timeoutMs?: number;
  graceMs?: number;
  /** Where what it prints once ready goes (e.g. `process.stderr`); default: nowhere. */
  output?: NodeJS.WritableStream;
}

/**
 * A service in a process of its own, ready once it prints what `ready` matches. Its output is
 * kept (the last 64 KiB) for the error when it exits or times out before that, then passed to
 * `output`. It exits with this process: its stdin is a pipe that closes then, and
 * close() ends it on shutdown.
 */
export function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  let ready = false;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void close();
      reject(new Error(`${options.name} ${why}:\n${output.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`was not ready after ${(options.timeoutMs ?? 60_000) / 1000} s`), options.timeoutMs ?? 60_000);
    child.once('error', (error) => fail(`could not start (${error.message})`));
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited (${signal ?? code}) before it was ready`);
    });
    const onOutput = (chunk: Buffer) => {
      if (ready) {
        options.output?.write(chunk);
        return;
      }
      output = (output + chunk.toString()).slice(-65536);
      // Strip colours: some services highlight the address they print.
      const match = options.ready.exec(output.replace(/\u001b\[[0-9;]*m/g, ''));
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      resolve({ url: options.url ? options.url(match) : match[1]!, pid: child.pid!, close });
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
  });
}

/** A TCP port free on `host` right now, for a service that cannot report the one it picked. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
