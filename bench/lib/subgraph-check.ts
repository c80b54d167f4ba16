import { SCOPE } from './subgraph-schema.js';
import { ask, type BenchKeys, type RunningServer } from './subgraph-fleet.js';
import type { ServerKind } from './subgraph-servers.js';

/** What every server must answer, byte for byte but for a trailing newline (Apollo Server adds one). */
export const EXPECTED_BODY = '{"data":{"account":{"name":"Alice & Co","balance":1200}}}';

/** Runs `check` over `items` with at most `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, check: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await check(items[next++]!);
    }),
  );
}

/**
 * Before anything is measured: every server answers every pool token with the expected body
 * (returned per server, raw, for the load generator to compare each answer with), and every
 * server with auth refuses what it must (no token, another account, no scope, a bad signature).
 */
export async function checkServers(servers: RunningServer[], tokens: readonly string[], keys: BenchKeys): Promise<Map<ServerKind, string>> {
  const bodies = new Map<ServerKind, string>();
  const refused = {
    'no token': undefined,
    'another account': keys.mint({ account: '2', scopes: [SCOPE] }),
    'no scope': keys.mint({ account: '1', scopes: [] }),
    'bad signature': `${tokens[0]!.slice(0, -8)}AAAAAAAA`,
  };
  for (const server of servers) {
    const first = await ask(server.url, tokens[0]);
    if (first.status !== 200 || first.body.trimEnd() !== EXPECTED_BODY) {
      throw new Error(`${server.kind} answered ${first.status} ${first.body} instead of ${EXPECTED_BODY}`);
    }
    bodies.set(server.kind, first.body);
    await eachLimited(tokens, 16, async (token) => {
      const answer = await ask(server.url, token);
      if (answer.status !== 200 || answer.body !== first.body)
        throw new Error(`${server.kind} answered a pool token with ${answer.status} ${answer.body}`);
    });
    if (server.kind === 'off') continue;
    for (const [what, token] of Object.entries(refused)) {
      const answer = await ask(server.url, token);
      if (answer.body.trimEnd() === EXPECTED_BODY || !answer.body.includes('"errors"')) {
        throw new Error(`${server.kind} did not refuse a request with ${what}: ${answer.status} ${answer.body}`);
      }
    }
  }
  return bodies;
}
