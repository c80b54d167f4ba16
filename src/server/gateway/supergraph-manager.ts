import type { GraphQLDataSource, SupergraphManager, SupergraphSdlHook } from '@apollo/gateway';
import { parse, type DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { SettingsError, SsoError } from '../../errors.js';
import { composeSupergraph } from './compose-supergraph.js';
import { loadSubgraphSdl } from './lib/load-sdl.js';
import { supergraphForGateway } from './supergraph-for-gateway.js';
import type { SubgraphEndpoint } from './types.js';

type HookOptions = Parameters<SupergraphSdlHook>[0];
type HookResult = Awaited<ReturnType<SupergraphSdlHook>>;

export interface SsoSupergraphManagerOptions {
  /** The subgraphs to compose, by name (their name in the supergraph) and GraphQL URL. */
  subgraphs: readonly SubgraphEndpoint[];
  /** Re-fetch the SDLs this often and recompose when one changed. Default: never (load once). */
  pollIntervalMs?: number;
  /** Headers for the `_service { sdl }` requests, e.g. a token for a subgraph that requires one. */
  introspectionHeaders?:
    Record<string, string> | ((subgraph: SubgraphEndpoint) => Record<string, string> | Promise<Record<string, string>>);
  /** Health-check every subgraph (the gateway's `__typename` query) before using a new supergraph. Default `false`. */
  subgraphHealthCheck?: boolean;
  /** Composition hints, updates and failed polls are logged here. */
  logger?: Logger;
}

interface Source extends SubgraphEndpoint {
  dataSource: GraphQLDataSource;
}

/** The state of one gateway's use of the manager, from `initialize` to `cleanup`. */
interface Run {
  sources: Source[];
  healthCheck: HookOptions['healthCheck'] | undefined;
  /** The SDLs of the supergraph in use, by subgraph name, to recompose only on change. */
  sdls: Map<string, string>;
  timer?: NodeJS.Timeout;
  polling?: Promise<void>;
  stopped: boolean;
}

/** A supergraph for the gateway, and how to record it as the one in use. */
interface Composed {
  supergraphSdl: string;
  commit(): void;
}

function validate(options: SsoSupergraphManagerOptions): void {
  if (options.subgraphs.length === 0) throw new SettingsError('subgraphs', 'at least one subgraph is required.');
  const names = new Set<string>();
  for (const { name, url } of options.subgraphs) {
    if (!name) throw new SettingsError('subgraphs', 'every subgraph needs a name.');
    if (names.has(name)) throw new SettingsError('subgraphs', `the name "${name}" is used twice.`);
    names.add(name);
    if (!URL.canParse(url)) throw new SettingsError('subgraphs', `subgraph "${name}" has an invalid URL: ${JSON.stringify(url)}.`);
  }
  const interval = options.pollIntervalMs;
  if (interval !== undefined && !(Number.isFinite(interval) && interval > 0)) {
    throw new SettingsError('pollIntervalMs', 'must be a positive number of milliseconds.');
  }
}

function parseSdl({ name, url }: SubgraphEndpoint, sdl: string): DocumentNode {
  try {
    return parse(sdl);
  } catch (error) {
    throw new SsoError(
      'INVALID_SETTINGS',
      `Subgraph "${name}" at ${url} returned an SDL that does not parse: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The gateway's `supergraphSdl` option for graphql-sso subgraphs — `IntrospectAndCompose`
 * that the gateway accepts: it fetches each subgraph's `_service { sdl }` through the gateway's
 * data sources, composes them (`composeSupergraph`) and hands the gateway the supergraph without
 * the authorization features (`supergraphForGateway`), which the subgraphs enforce themselves.
 *
 * Start-up fails with the first error (an unreachable subgraph: `SERVICE_UNAVAILABLE`; a
 * composition failure: `CompositionError`). While polling, a failed update is logged and the
 * gateway keeps the supergraph it has; the next tick tries again.
 *
 * One instance serves one gateway at a time; after the gateway stops (`cleanup`) it may be
 * initialized again.
 */
export class SsoSupergraphManager implements SupergraphManager {
  private readonly options: SsoSupergraphManagerOptions;
  private run: Run | null = null;
  private full: string | null = null;

  constructor(options: SsoSupergraphManagerOptions) {
    validate(options);
    this.options = { ...options, subgraphs: options.subgraphs.map(({ name, url }) => ({ name, url })) };
  }

  /**
   * The full supergraph last handed (stripped) to the gateway, authorization directives
   * included — e.g. to save for Apollo Router. `null` before the first composition.
   */
  get supergraphSdl(): string | null {
    return this.full;
  }

  async initialize({ update, healthCheck, getDataSource }: HookOptions): Promise<HookResult> {
    if (this.run) throw new SsoError('INVALID_SETTINGS', 'This SsoSupergraphManager already serves a gateway.');
    const run: Run = {
      sources: this.options.subgraphs.map((subgraph) => ({ ...subgraph, dataSource: getDataSource(subgraph) })),
      healthCheck: this.options.subgraphHealthCheck ? healthCheck : undefined,
      sdls: new Map(),
      stopped: false,
    };
    const { supergraphSdl, commit } = await this.compose(run);
    commit();
    this.run = run;
    if (this.options.pollIntervalMs !== undefined) this.schedule(run, update, this.options.pollIntervalMs);
    return { supergraphSdl, cleanup: () => this.cleanup(run) };
  }

  /**
   * Fetches the SDLs and, when one changed (always the first time), composes the gateway's
   * supergraph; `null` when nothing changed. `commit` records it as the one in use: called once
   * the gateway took it, so a supergraph it refused is composed and offered again at the next poll.
   */
  private async compose(run: Run): Promise<Composed>;
  private async compose(run: Run, onlyIfChanged: true): Promise<Composed | null>;
  private async compose(run: Run, onlyIfChanged = false): Promise<Composed | null> {
    const sdls = await Promise.all(
      run.sources.map(async (source) => loadSubgraphSdl(source.dataSource, source, await this.headersFor(source))),
    );
    if (onlyIfChanged && run.sources.every((source, i) => run.sdls.get(source.name) === sdls[i])) return null;
    const full = composeSupergraph(
      run.sources.map((source, i) => ({ name: source.name, url: source.url, typeDefs: parseSdl(source, sdls[i]!) })),
      { logger: this.options.logger },
    );
    const supergraphSdl = supergraphForGateway(full);
    await run.healthCheck?.(supergraphSdl);
    const commit = () => {
      run.sdls = new Map(run.sources.map((source, i) => [source.name, sdls[i]!]));
      this.full = full;
      this.options.logger?.info({ subgraphs: run.sources.map((s) => s.name) }, 'supergraph composed');
    };
    return { supergraphSdl, commit };
  }

  private async headersFor(subgraph: SubgraphEndpoint): Promise<Record<string, string>> {
    const headers = this.options.introspectionHeaders;
    return (typeof headers === 'function' ? await headers({ name: subgraph.name, url: subgraph.url }) : headers) ?? {};
  }

  private schedule(run: Run, update: HookOptions['update'], interval: number): void {
    run.timer = setTimeout(() => {
      run.polling = this.poll(run, update).finally(() => {
        run.polling = undefined;
        if (!run.stopped) this.schedule(run, update, interval);
      });
    }, interval);
    // The gateway's server keeps the process alive; a poll timer alone should not.
    run.timer.unref();
  }

  private async poll(run: Run, update: HookOptions['update']): Promise<void> {
    try {
      const next = await this.compose(run, true);
      if (next === null || run.stopped) return;
      update(next.supergraphSdl);
      next.commit();
    } catch (err) {
      this.options.logger?.error({ err }, 'could not update the supergraph; the gateway keeps the current one');
    }
  }

  private async cleanup(run: Run): Promise<void> {
    run.stopped = true;
    clearTimeout(run.timer);
    await run.polling;
    if (this.run === run) this.run = null;
  }
}
