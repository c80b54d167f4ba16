import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createSsoContext } from '../src/auth/context.js';
import type { SessionAuthenticator } from '../src/config/settings.js';
import type { UserLike } from '../src/jwt/payloads.js';
import { AuthenticationError } from '../src/errors.js';
import { KeyStore } from '../src/jwt/key-store.js';
import { VerifiedTokenCache } from '../src/jwt/verified-token-cache.js';
import { createTokenFixture, fixtureSettings } from './lib/tokens.js';

/**
 * Run by `memoryBench` in two processes of its own, so that nothing else's memory counts:
 * `memory-child.js generate DIR COUNT` writes a key and COUNT distinct tokens into DIR; then
 * `node --expose-gc memory-child.js measure DIR VERIFICATIONS` builds the identity service's
 * verification path, verifies that many requests, and prints one JSON line of memory figures.
 * Signing 100k tokens churns memory that a process does not give back, hence the two processes.
 */

export interface MemoryChildResult {
  gcExposed: boolean;
  tokens: number;
  verifications: number;
  cacheMaxEntries: number;
  cache: ReturnType<VerifiedTokenCache['stats']>;
  baselineRss: number;
  baselineHeapUsed: number;
  peakRss: number;
  finalRss: number;
  finalHeapUsed: number;
  durationMs: number;
}

const TOKENS_FILE = 'tokens.txt';

async function generate(dir: string, count: number): Promise<void> {
  const fixture = await createTokenFixture({ count, keyDir: dir });
  writeFileSync(join(dir, TOKENS_FILE), fixture.tokens.join('\n'));
}

const collect = () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i += 1) gc?.();
};

async function measure(dir: string, verifications: number): Promise<MemoryChildResult> {
  // The clients' side, outside what is measured: the tokens, kept as bytes (off the V8 heap, as
  // they arrive off the socket), and the sessions they belong to.
  const wire = readFileSync(join(dir, TOKENS_FILE));
  const starts: number[] = [0];
  for (let at = wire.indexOf(10); at !== -1; at = wire.indexOf(10, at + 1)) starts.push(at + 1);
  const tokenCount = starts.length;
  const tokenAt = (index: number) => wire.toString('latin1', starts[index]!, index + 1 < tokenCount ? starts[index + 1]! - 1 : wire.length);
  const users = new Map<string, UserLike>();
  for (let index = 0; index < tokenCount; index += 1) {
    const payload = JSON.parse(Buffer.from(tokenAt(index).split('.')[1]!, 'base64url').toString()) as {
      sid: string;
      uid: string;
      email: string;
    };
    users.set(payload.sid, { id: payload.uid, email: payload.email });
  }

  // The service: settings and keys read once, a session check per request (an in-memory table
  // stands in for the database), the verified-token cache createSsoContext makes by default
  // (held here to read its stats).
  const settings = fixtureSettings(dir);
  const keys = KeyStore.load(settings);
  const sessions: SessionAuthenticator = {
    authenticate: async (payload) => {
      const user = users.get(payload.sid);
      if (!user) throw new AuthenticationError('SESSION_NOT_FOUND', 'Session not found.');
      return user;
    },
  };
  const tokenCache = new VerifiedTokenCache({ maxEntries: settings.verifiedTokenCacheSize });
  const authenticate = createSsoContext({ settings, keys, sessions, tokenCache });
  const socket = { remoteAddress: '127.0.0.1' };
  // Each request gets its header as a new string, read from the bytes, as an HTTP server's would be.
  const request = (index: number) => ({
    req: { headers: { authorization: `JWT ${tokenAt(index)}`, 'user-agent': 'bench/1' }, socket } as unknown as IncomingMessage,
  });
  await authenticate(request(0));
  tokenCache.clear();

  collect();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  const started = performance.now();
  // Uniformly random tokens (a fixed LCG, so runs compare), the way many users' requests interleave.
  let seed = 12345;
  for (let n = 0; n < verifications; n += 1) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const context = await authenticate(request(seed % tokenCount));
    if (context.auth === null) throw new Error('a token was not verified');
    if (n % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const durationMs = performance.now() - started;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  collect();
  const final = process.memoryUsage();
  return {
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    tokens: tokenCount,
    verifications,
    cacheMaxEntries: tokenCache.maxEntries,
    cache: tokenCache.stats(),
    baselineRss: baseline.rss,
    baselineHeapUsed: baseline.heapUsed,
    peakRss,
    finalRss: final.rss,
    finalHeapUsed: final.heapUsed,
    durationMs,
  };
}

async function main(): Promise<void> {
  const [command, dir, count] = process.argv.slice(2);
  if (!dir || !count) throw new Error('usage: memory-child.js generate|measure DIR COUNT');
  if (command === 'generate') await generate(dir, Number(count));
  else if (command === 'measure') process.stdout.write(`${JSON.stringify(await measure(dir, Number(count)))}\n`);
  else throw new Error(`unknown command ${command}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
