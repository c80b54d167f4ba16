import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startGateway } from './server.js';

/**
 * The demo's `@apollo/gateway` as a process of its own, so that it does not share an event loop
 * (and a core) with the subgraphs it routes to:
 *
 *   node dist/examples/gateway/main.js --port 4000 --subgraph identity=http://localhost:4001/graphql --subgraph otherapp=http://localhost:4002/graphql
 *
 * Prints `gateway listening <url>` once it serves; exits on SIGTERM or SIGINT, or when its stdin
 * closes (the demo that started it is gone). Logs (pino, `LOG_LEVEL`) go to stderr.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string' },
      subgraph: { type: 'string', multiple: true, default: [] },
    },
  });
  const subgraphs = values.subgraph.map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`--subgraph takes NAME=URL, not ${JSON.stringify(entry)}`);
    return { name: entry.slice(0, at), url: entry.slice(at + 1) };
  });
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'gateway' } }, pino.destination(2));
  const gateway = await startGateway({ port: Number(values.port), host: values.host, subgraphs, logger });
  const stop = () => {
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.once('end', stop);
  process.stdin.resume();
  process.stdout.write(`gateway listening ${gateway.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`The gateway could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
