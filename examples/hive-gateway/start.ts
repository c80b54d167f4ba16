import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort, startServiceProcess, type ServiceProcess } from '../lib/service-process.js';
import { hiveGatewayDir, installHiveGateway } from './install.js';

/** The shipped configuration, as a team copies it: loaded by Hive Gateway from TypeScript. */
export const HIVE_GATEWAY_CONFIG = resolve(import.meta.dirname, '../../../examples/hive-gateway/gateway.config.ts');

export interface HiveGatewayOptions {
  /** 0: a free port. */
  port: number;
  /** Default: every interface, as Hive Gateway does. */
  host?: string;
  /** The full supergraph (`composeFromSubgraphs`), authorization directives included. */
  supergraphSdl: string;
  /** Receives the configuration, the supergraph and a link to the installation. */
  runDir: string;
  /**
   * For `gateway.config.ts`: `SSO_JWKS_URL`, `SSO_ISSUERS`, `SSO_AUDIENCES` turn on the
   * gateway-side token checks. Default: none (the gateway forwards, the subgraphs enforce).
   */
  env?: Record<string, string>;
  /** Where Hive Gateway is installed; default `hiveGatewayDir()`. */
  installDir?: string;
  /** Progress messages (the first install takes a minute). */
  log?: (message: string) => void;
  /** Where its logs go once it serves; default: nowhere. */
  output?: NodeJS.WritableStream;
}

/**
 * Hive Gateway in a process of its own, serving `supergraphSdl` with the shipped
 * `gateway.config.ts`: installs the pinned version first when missing (`installHiveGateway`),
 * lays out `runDir` as a deployment would (the config, `supergraph.graphql`, and `node_modules`
 * linked to the installation so that the config's imports resolve), then runs
 * `hive-gateway supergraph supergraph.graphql` there.
 */
export async function startHiveGateway(options: HiveGatewayOptions): Promise<ServiceProcess> {
  const installDir = options.installDir ?? hiveGatewayDir();
  const bin = await installHiveGateway(installDir, options.log);
  await mkdir(options.runDir, { recursive: true });
  await copyFile(HIVE_GATEWAY_CONFIG, join(options.runDir, 'gateway.config.ts'));
  await writeFile(join(options.runDir, 'supergraph.graphql'), options.supergraphSdl);
  await rm(join(options.runDir, 'node_modules'), { recursive: true, force: true });
  await symlink(join(installDir, 'node_modules'), join(options.runDir, 'node_modules'), 'dir');
  const host = options.host ?? '0.0.0.0';
  const port = options.port === 0 ? await freePort(options.host ?? '127.0.0.1') : options.port;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, LOG_LEVEL: 'info', NODE_ENV: process.env.NODE_ENV ?? 'production' };
  // Hive Gateway itself: whatever graphql-sso's own processes were told is not for it.
  delete env.NODE_OPTIONS;
  return startServiceProcess({
    name: 'Hive Gateway',
    command: bin,
    args: ['supergraph', 'supergraph.graphql', '--port', String(port), '--host', host],
    cwd: options.runDir,
    env,
    ready: /Listening on http/,
    url: () => `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`,
    output: options.output,
  });
}
