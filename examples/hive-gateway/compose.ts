import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parse } from 'graphql';
import { composeSupergraph, supergraphForGateway, type SubgraphEndpoint } from 'graphql-sso/gateway';

/** One subgraph's SDL, as `_service { sdl }` returns it from the running service. */
async function fetchSdl({ name, url }: SubgraphEndpoint): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
  } catch (error) {
    throw new Error(`Subgraph "${name}" at ${url} is not reachable: ${(error as Error).message}`, { cause: error });
  }
  const body = (await response.json().catch(() => null)) as { data?: { _service?: { sdl?: unknown } } } | null;
  const sdl = body?.data?._service?.sdl;
  if (!response.ok || typeof sdl !== 'string')
    throw new Error(`Subgraph "${name}" at ${url} answered ${response.status} without an SDL: is it a federation subgraph?`);
  return sdl;
}

/**
 * The full supergraph of running subgraphs, as Hive Gateway (and Apollo Router) load it: each
 * subgraph's SDL composed by `composeSupergraph`, the authorization directives kept. Hive Gateway
 * could also compose at start-up from the subgraphs' URLs, but a file composed beforehand is what
 * a deployment reviews and ships.
 */
export async function composeFromSubgraphs(subgraphs: readonly SubgraphEndpoint[]): Promise<string> {
  const sdls = await Promise.all(subgraphs.map(fetchSdl));
  return composeSupergraph(subgraphs.map(({ name, url }, i) => ({ name, url, typeDefs: parse(sdls[i]!) })));
}

/**
 * `node dist/examples/hive-gateway/compose.js NAME=URL ... [--gateway-safe] [--out FILE]`:
 * composes the subgraphs running at those URLs and writes the supergraph to the file, or prints
 * it. `--gateway-safe`: without the authorization features (`supergraphForGateway`), for a
 * gateway that must not see them — `@apollo/gateway`, or Apollo Router without a GraphOS plan.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
  const safeAt = args.indexOf('--gateway-safe');
  if (safeAt >= 0) args.splice(safeAt, 1);
  const subgraphs = args.map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`Expected NAME=URL, got ${JSON.stringify(entry)}.`);
    return { name: entry.slice(0, at), url: entry.slice(at + 1) };
  });
  if (subgraphs.length === 0) throw new Error('usage: compose NAME=URL ... [--gateway-safe] [--out FILE]');
  const full = await composeFromSubgraphs(subgraphs);
  const supergraph = safeAt >= 0 ? supergraphForGateway(full) : full;
  if (out) await writeFile(out, supergraph);
  else process.stdout.write(supergraph);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
