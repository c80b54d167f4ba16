import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { encodeJwtToken, generateKeyPem, KeyStore, resolveSettings } from '../src/index.js';
import { median } from './lib/measure.js';
import type { Bench, BenchSection } from './lib/types.js';

const VARIANTS = ['sso', 'off', 'handrolled', 'yoga'] as const;
type Variant = (typeof VARIANTS)[number];
const LABEL: Record<Variant, string> = {
  sso: 'graphql-sso (createSsoContext + applyAuthDirectives)',
  off: 'same Apollo subgraph, auth off',
  handrolled: 'Apollo + hand-rolled jsonwebtoken context',
  yoga: 'GraphQL Yoga + plugin-jwt + generic-auth',
};
const QUERY = JSON.stringify({ query: '{ account(id: "1") { id name balance } }' });

interface Server {
  child: ChildProcess;
  url: string;
}

function startServer(variant: Variant, keyRoot: string, keyFile: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'subgraph-server.js'), variant, keyRoot, keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/` });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk));
    child.on('exit', (code) => reject(new Error(`${variant} server exited with ${code}: ${out}`)));
  });
}

async function ask(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `JWT ${token}` }, body: QUERY });
  return response.json();
}

function load(url: string, tokens: string[], durationSec: number): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url,
    connections: 50,
    pipelining: 1,
    duration: durationSec,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: QUERY,
    requests: [
      {
        setupRequest: (request) => {
          request.headers = { ...request.headers, authorization: `JWT ${tokens[next++ % tokens.length]}` };
          return request;
        },
      },
    ],
  });
}

/**
 * Issue 5, item 3: the same query on the same data through four servers, each in a process of its
 * own, loaded by autocannon from this one (2 cores: one for the server, one for the load).
 */
export const subgraphBench: Bench = async ({ smoke }) => {
  const keyRoot = mkdtempSync(join(tmpdir(), 'sso-bench-'));
  const keyFile = 'myapp-bench.pem';
  writeFileSync(join(keyRoot, keyFile), await generateKeyPem('RS256'));
  const settings = resolveSettings({ identity: 'myapp', keyStoreRoot: keyRoot, privateKeys: { myapp: [keyFile] }, authorizationAudience: ['otherapp'], authorizationExpiration: 3600 });
  const keys = KeyStore.load(settings);
  const tokens = await Promise.all(
    Array.from({ length: smoke ? 50 : 1000 }, (_, i) =>
      encodeJwtToken({ token: 'auth', sid: `session-${i}`, uid: `user-${i}`, account: '1', scopes: ['accounts:read-balance'] }, { settings, keys }),
    ),
  );
  const servers = new Map<Variant, Server>();
  try {
    for (const variant of VARIANTS) servers.set(variant, await startServer(variant, keyRoot, keyFile));
    const expected = { data: { account: { id: '1', name: 'Alice & Co', balance: 1200 } } };
    for (const [variant, server] of servers) {
      const answer = await ask(server.url, tokens[0]!);
      if (JSON.stringify(answer) !== JSON.stringify(expected)) throw new Error(`${variant} answered ${JSON.stringify(answer)}`);
    }
    const duration = smoke ? 1 : 8;
    const rounds = smoke ? 1 : 3;
    const results: Record<string, { rps: number[]; p99: number[] }> = {};
    for (const pool of ['distinct', 'hot'] as const) {
      const used = pool === 'distinct' ? tokens : [tokens[0]!];
      for (let round = 0; round < rounds; round += 1) {
        // Interleaved, so that drift of the machine hits every server alike.
        for (const variant of VARIANTS) {
          const result = await load(servers.get(variant)!.url, used, duration);
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
          const entry = (results[`${variant}/${pool}`] ??= { rps: [], p99: [] });
          entry.rps.push(result.requests.average);
          entry.p99.push(result.latency.p99);
        }
      }
    }
    const rps = (variant: Variant, pool: string) => median(results[`${variant}/${pool}`]!.rps);
    const section: BenchSection = {
      title: 'Subgraph end to end',
      measurements: [],
      ratios: [],
      notes: [
        `autocannon, 50 connections, ${duration} s × ${rounds} interleaved rounds per server; query \`{ account(id: "1") { id name balance } }\` needing a scope (\`@requiresScopes\`) and the account-member policy (\`@policy\`); every server answers it identically (checked first).`,
        `"distinct": ${tokens.length} different valid tokens in rotation, "hot": one token (one client). graphql-sso keeps verified tokens in a bounded cache until they expire, so after the first pass it verifies none again; the others verify every request.`,
        'Each server runs in its own process; autocannon shares the 2 cores with it, so absolute rates understate a dedicated server.',
      ],
    };
    for (const pool of ['distinct', 'hot']) {
      for (const variant of VARIANTS) {
        section.measurements.push({ name: `${LABEL[variant]}, ${pool} tokens`, value: rps(variant, pool), unit: 'req/s' });
        section.measurements.push({ name: `${LABEL[variant]}, ${pool} tokens, p99 latency`, value: median(results[`${variant}/${pool}`]!.p99), unit: 'ms' });
      }
      const vsOff = rps('sso', pool) / rps('off', pool);
      const vsHand = rps('sso', pool) / rps('handrolled', pool);
      const vsYoga = rps('sso', pool) / rps('yoga', pool);
      section.ratios.push({ name: `with auth / auth off (${pool} tokens)`, value: vsOff, target: '>= 0.85', met: vsOff >= 0.85 });
      section.ratios.push({ name: `graphql-sso / hand-rolled jsonwebtoken (${pool} tokens)`, value: vsHand, target: '>= 1.0', met: vsHand >= 1.0 });
      section.ratios.push({ name: `graphql-sso / Yoga + plugin-jwt + generic-auth (${pool} tokens)`, value: vsYoga, target: '>= 1.0', met: vsYoga >= 1.0 });
    }
    return section;
  } finally {
    for (const server of servers.values()) {
      server.child.removeAllListeners('exit');
      server.child.kill();
    }
    rmSync(keyRoot, { recursive: true, force: true });
  }
};
