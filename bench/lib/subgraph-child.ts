import { SERVER_KINDS, startSubgraphServer, type ServerKind } from './subgraph-servers.js';
import type { ServerKeys } from './subgraph-schema.js';

/**
 * Entry point of one subgraph bench server in a process of its own: argv is the server kind and
 * the `ServerKeys` as JSON. Prints `listening <port>` once it accepts connections; exits on
 * SIGTERM or SIGINT, or when stdin closes, through `process.exit`, so that `--cpu-prof` writes
 * its profile.
 */
const [kind, keysJson] = process.argv.slice(2);
if (!SERVER_KINDS.includes(kind as ServerKind) || !keysJson) {
  process.stderr.write(`usage: subgraph-child <${SERVER_KINDS.join('|')}> <keys json>\n`);
  process.exit(2);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
// The bench process holds the other end: when it goes, so does this server.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

startSubgraphServer(kind as ServerKind, JSON.parse(keysJson) as ServerKeys).then(
  (port) => process.stdout.write(`listening ${port}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
