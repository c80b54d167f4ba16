import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { processCpuSeconds } from './process-cpu.js';
import { encodeJwtToken, generateKeyPem, KeyStore, resolveSettings, type UnsignedPayload } from '../../src/index.js';
import { SUBGRAPH_QUERY, type ServerKeys } from './subgraph-schema.js';
import type { ServerKind } from './subgraph-servers.js';

/** An issuer's key pair on disk: the private key where the issuer reads it, the public key alone where verifiers do. */
export interface BenchKeys {
  keys: ServerKeys;
  /** Authorization tokens as the identity service issues them (`encodeJwtToken`), for `keys.audience`. */
  mint(claims: Omit<UnsignedPayload, 'token' | 'sid' | 'uid'> & { sid?: string; uid?: string }): string;
  cleanup(): void;
}

export async function createBenchKeys({ issuer = 'myapp', audience = 'otherapp' } = {}): Promise<BenchKeys> {
  const root = mkdtempSync(join(tmpdir(), 'sso-bench-subgraph-'));
  const file = `${issuer}-bench.pem`;
  mkdirSync(join(root, 'issuer'));
  mkdirSync(join(root, 'verifier'));
  const pem = await generateKeyPem('RS256');
  writeFileSync(join(root, 'issuer', file), pem, { mode: 0o600 });
  writeFileSync(join(root, 'verifier', file), createPublicKey(pem).export({ type: 'spki', format: 'pem' }));
  // Far enough ahead for any run, with `iat`/`exp` as the identity service sets them.
  const settings = resolveSettings({
    identity: issuer,
    keyStoreRoot: join(root, 'issuer'),
    privateKeys: { [issuer]: [file] },
    authorizationAudience: [audience],
    authorizationExpiration: 6 * 3600,
  });
  const store = KeyStore.load(settings);
  return {
    keys: { issuer, audience, keyStoreRoot: join(root, 'verifier'), publicKeyFile: file },
    mint: (claims) =>
      encodeJwtToken({ token: 'auth', sid: randomUUID(), uid: '1001', jti: randomUUID(), ...claims }, { settings, keys: store }) as string,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface RunningServer {
  kind: ServerKind;
  url: string;
  pid: number;
  /** SIGTERM, then resolves once the process has exited (and written any `--cpu-prof` profile). */
  stop(): Promise<void>;
}

/** One subgraph server in a child process (`subgraph-child.js`), with extra `execArgv` such as `--cpu-prof`. */
export function spawnServer(kind: ServerKind, keys: ServerKeys, execArgv: string[] = []): Promise<RunningServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...execArgv, join(import.meta.dirname, 'subgraph-child.js'), kind, JSON.stringify(keys)],
    {
      env: { ...process.env, NODE_ENV: 'production' },
      // The child exits when its stdin closes: no server outlives a bench process that died.
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`subgraph server ${kind} exited (${code}) before listening: ${output}`));
    child.once('exit', onExit);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (!match) return;
      child.off('exit', onExit);
      resolve({
        kind,
        pid: child.pid!,
        url: `http://127.0.0.1:${match[1]}/`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** Servers of `kinds`, started side by side; if any fails to start, the others are stopped and that error thrown. */
export async function spawnServers(kinds: readonly ServerKind[], keys: ServerKeys): Promise<RunningServer[]> {
  const started = await Promise.allSettled(kinds.map((kind) => spawnServer(kind, keys)));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  return servers;
}

export interface Answer {
  status: number;
  body: string;
}

/** POSTs the bench query once, with `Authorization: JWT <token>` when given one. */
export async function ask(url: string, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query: SUBGRAPH_QUERY }),
  });
  return { status: response.status, body: await response.text() };
}

export interface LoadResult {
  /** Completed requests per second over the run. */
  rps: number;
  /** 99th percentile latency (ms). */
  p99: number;
  requests: number;
  /** CPU time the server process used per request (µs), user and system; `NaN` where `/proc` is missing. */
  serverCpuUs: number;
}

/**
 * autocannon POSTing the bench query for `durationSec`, the `Authorization` header taking the
 * next of `tokens` on every request (one counter across connections). The request is rebuilt per
 * request, a few µs of the load generator's time, the same for one token or many; prebuilding one
 * request per token would cost each connection its own copy of all of them at start. Every answer
 * must be HTTP 2xx with exactly `expectBody`, or this throws.
 */
export async function loadServer(
  server: RunningServer,
  tokens: readonly string[],
  { connections, durationSec, expectBody }: { connections: number; durationSec: number; expectBody: string },
): Promise<LoadResult> {
  const { url } = server;
  const headers = tokens.map((token) => ({ 'content-type': 'application/json', authorization: `JWT ${token}` }));
  let next = 0;
  const cpuBefore = processCpuSeconds(server.pid);
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration: durationSec,
    method: 'POST',
    body: JSON.stringify({ query: SUBGRAPH_QUERY }),
    requests: [
      {
        setupRequest: (request) => {
          request.headers = headers[next++ % headers.length];
          return request;
        },
      },
    ],
    verifyBody: (answer) => answer === expectBody,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.mismatches > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts, ${result.mismatches} unexpected bodies`,
    );
  }
  if (result.requests.total === 0) throw new Error(`${url}: no request completed`);
  const cpuAfter = processCpuSeconds(server.pid);
  const cpu = cpuBefore === null || cpuAfter === null ? Number.NaN : cpuAfter - cpuBefore;
  return {
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    requests: result.requests.total,
    serverCpuUs: (cpu * 1e6) / result.requests.total,
  };
}
