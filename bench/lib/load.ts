import autocannon from 'autocannon';
import { median } from './measure.js';
import { processCpuSeconds } from './process-cpu.js';

export interface GraphQLLoad {
  url: string;
  query: string;
  /** Sent as `Authorization: JWT <token>`. */
  token?: string;
  connections: number;
}

/**
 * autocannon POSTing a GraphQL query, with an optional `Authorization: JWT` token; several
 * queries are sent in turn, one per request, whichever connection is free. For `durationSec`, or
 * until `amount` requests are answered (none is then left in flight at the end).
 */
export function loadGraphQL(
  url: string,
  query: string | string[],
  { token, connections, durationSec, amount }: { token?: string; connections: number; durationSec: number; amount?: number },
) {
  const bodies = (Array.isArray(query) ? query : [query]).map((q) => JSON.stringify({ query: q }));
  let next = 0;
  return autocannon({
    url,
    connections,
    pipelining: 1,
    duration: durationSec,
    ...(amount ? { amount } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
    body: bodies[0],
    ...(bodies.length > 1
      ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++ % bodies.length] }) }] }
      : {}),
  });
}

/**
 * `loadGraphQL`, every answer a 2xx, with the CPU time `serverPid` spent per answered request
 * meanwhile (seconds, from /proc; `null` where that cannot be read or no pid is given).
 */
export async function loadWithServerCpu(
  url: string,
  query: string,
  options: { token?: string; connections: number; durationSec: number },
  serverPid: number | undefined,
): Promise<{ result: autocannon.Result; cpuPerRequest: number | null }> {
  const before = serverPid === undefined ? null : processCpuSeconds(serverPid);
  const result = await loadGraphQL(url, query, options);
  const after = serverPid === undefined ? null : processCpuSeconds(serverPid);
  assertClean(result, query);
  return { result, cpuPerRequest: before === null || after === null ? null : (after - before) / result['2xx'] };
}

export function assertClean(result: autocannon.Result, what: string): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
}

export interface InterleavedLoads {
  /** Median requests/s of each load. */
  rates: Record<string, number>;
  /** Median over rounds of `a`'s rate divided by `b`'s in the same round. */
  ratio(a: string, b: string): number;
  /** With `serverPid`: median server CPU per answered request of each load (seconds); else `null`. */
  cpuPerRequest: Record<string, number> | null;
  /**
   * With `serverPid`: the same ratio on server CPU, median over rounds of `b`'s CPU per request
   * divided by `a`'s: what the rate ratio would be were the server alone on its cores. Else `null`.
   */
  cpuRatio(a: string, b: string): number | null;
}

/**
 * Requests/s of several loads measured side by side: each round runs every load for
 * `durationSec` in turn, in an order rotated round by round, so that a noisy neighbour hits all
 * alike; ratios are taken within a round. Every answer must be a 2xx. With `serverPid`, the
 * server's CPU per request of each load too (`loadWithServerCpu`).
 */
export async function interleavedLoads(
  loads: Record<string, GraphQLLoad>,
  { durationSec, rounds, serverPid }: { durationSec: number; rounds: number; serverPid?: number },
): Promise<InterleavedLoads> {
  const names = Object.keys(loads);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  let cpuKnown = serverPid !== undefined;
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(k + round) % names.length]!;
      const { url, query, token, connections } = loads[name]!;
      const { result, cpuPerRequest } = await loadWithServerCpu(url, query, { token, connections, durationSec }, serverPid);
      samples[name]!.push(result.requests.average);
      if (cpuPerRequest === null) cpuKnown = false;
      else cpu[name]!.push(cpuPerRequest);
    }
  }
  return {
    rates: Object.fromEntries(names.map((name) => [name, median(samples[name]!)])),
    ratio: (a, b) => median(samples[a]!.map((value, round) => value / samples[b]![round]!)),
    cpuPerRequest: cpuKnown ? Object.fromEntries(names.map((name) => [name, median(cpu[name]!)])) : null,
    cpuRatio: (a, b) => (cpuKnown ? median(cpu[b]!.map((value, round) => value / cpu[a]![round]!)) : null),
  };
}
