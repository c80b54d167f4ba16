import { join } from 'node:path';
import type { SubgraphEndpoint } from 'graphql-sso/gateway';
import { startServiceProcess, type ServiceProcess } from '../lib/service-process.js';

export interface GatewayProcessOptions {
  port: number;
  host?: string;
  subgraphs: SubgraphEndpoint[];
  /** The gateway's pino level (`LOG_LEVEL`); default `warn`. */
  logLevel?: string;
  /** Where its logs go once it serves; default: nowhere. */
  output?: NodeJS.WritableStream;
}

/** The demo's `@apollo/gateway` (`main.ts`) in a process of its own; port 0 picks a free one. */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<ServiceProcess> {
  const args = [join(import.meta.dirname, 'main.js'), '--port', String(options.port)];
  if (options.host) args.push('--host', options.host);
  for (const { name, url } of options.subgraphs) args.push('--subgraph', `${name}=${url}`);
  return startServiceProcess({
    name: 'the gateway',
    command: process.execPath,
    args,
    env: { ...process.env, LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'warn' },
    ready: /gateway listening (\S+)/,
    output: options.output,
  });
}
