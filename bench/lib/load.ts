import autocannon from 'autocannon';

/** autocannon POSTing one GraphQL query, with an optional `Authorization: JWT` token. */
export function loadGraphQL(url: string, query: string, { token, connections, durationSec }: { token?: string; connections: number; durationSec: number }) {
  return autocannon({
    url,
    connections,
    pipelining: 1,
    duration: durationSec,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
}

export function assertClean(result: autocannon.Result, what: string): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
}
