import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { SessionCache } from './session-cache.js';

/** The channel the `sso_session` triggers notify: `session:<id>`, `user:<id>` or `flush:*` (a `TRUNCATE`). */
export const SESSION_CHANNEL = 'sso_session';

export interface SessionEventsOptions {
  /** The database's URL; the listener holds a connection of its own. */
  url: string;
  /** node-postgres's `Client`: the one the ORM's driver loaded (graphql-sso does not depend on `pg` itself). */
  Client: typeof pg.Client;
  /** Sends `select pg_notify(channel, payload)` through another connection (the ORM's). */
  notify: (channel: string, payload: string) => Promise<void>;
  onEvent: (kind: 'session' | 'user' | 'flush', id: string) => void;
  /** Called with `true` once notifications are proven to arrive, `false` when that stops. */
  onLive: (live: boolean) => void;
  logger: Logger;
  /** How long a probe notification may take before the database is deemed unable (ms). */
  probeTimeout?: number;
  /** Reconnection back-off bounds (ms). */
  retryDelay?: { min: number; max: number };
}

/**
 * Listens to `sso_session` on a dedicated connection and reports each event. "Live" only after a
 * probe sent through another connection came back, so a database that does not deliver
 * notifications between connections (the embedded PGlite) is never trusted to; a lost connection
 * turns it off at once and is retried with back-off.
 */
export class SessionEvents {
  private client: pg.Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay: number;
  private readonly probes = new Map<string, () => void>();

  constructor(private readonly options: SessionEventsOptions) {
    this.delay = options.retryDelay?.min ?? 1000;
  }

  /** First connection attempt; a failure is logged and retried in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.options.onLive(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { logger } = this.options;
    const client = new this.options.Client({ connectionString: this.options.url });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.receive(message.payload ?? ''));
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string }>('select version() as version');
      if (/PGlite/.test(rows[0]?.version ?? '')) {
        logger.debug('The embedded database does not deliver notifications between connections: sessions are not cached');
        this.closed = true;
        await client.end();
        return;
      }
      await client.query(`listen ${SESSION_CHANNEL}`);
      this.client = client;
      if (!(await this.probe())) {
        logger.warn('Session notifications did not arrive: sessions are not cached');
        this.closed = true;
        this.client = null;
        await client.end();
        return;
      }
      this.delay = this.options.retryDelay?.min ?? 1000;
      this.options.onLive(true);
      logger.info({ channel: SESSION_CHANNEL }, 'Caching sessions: revocations arrive through LISTEN/NOTIFY');
    } catch (err) {
      logger.warn({ err }, 'Listening for session revocations failed; sessions are not cached until it works');
      this.lost(client, err);
    }
  }

  private async probe(): Promise<boolean> {
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.probes.set(token, () => resolve(true));
      timer = setTimeout(() => resolve(false), this.options.probeTimeout ?? 2000);
    });
    try {
      await this.options.notify(SESSION_CHANNEL, `probe:${token}`);
      return await arrived;
    } finally {
      clearTimeout(timer);
      this.probes.delete(token);
    }
  }

  private receive(payload: string): void {
    const at = payload.indexOf(':');
    const kind = payload.slice(0, at);
    const id = payload.slice(at + 1);
    if (kind === 'probe') this.probes.get(id)?.();
    else if ((kind === 'session' || kind === 'user' || kind === 'flush') && id) this.options.onEvent(kind, id);
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== null && this.client !== client) return;
    const wasLive = this.client === client;
    this.client = null;
    this.options.onLive(false);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed || this.retryTimer) return;
    if (wasLive) this.options.logger.warn({ err }, 'Lost the session notification connection: sessions are not cached until it is back');
    const max = this.options.retryDelay?.max ?? 30_000;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) void this.connect();
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delay * 2, max);
  }
}

/**
 * Connects the session cache of `services` to the `sso_session` notifications of its database:
 * the cache works only while they arrive.
 */
export async function listenForSessionChanges(
  services: { orm: MikroORM; sessionCache: SessionCache; settings: { sessionCacheTtl: number; databaseListenUrl?: string | null } },
  logger: Logger,
): Promise<SessionEvents | null> {
  const { orm, sessionCache } = services;
  if (services.settings.sessionCacheTtl === 0) return null;
  const databaseUrl = orm.config.get('clientUrl');
  if (!databaseUrl) return null;
  // A pooler in transaction mode hands each statement any server connection: LISTEN needs its own.
  const url = services.settings.databaseListenUrl ?? (process.env.DATABASE_LISTEN_URL || databaseUrl);
  const events = new SessionEvents({
    url,
    Client: (orm.em.getConnection().getKnex().client as { driver: typeof pg }).driver.Client,
    logger,
    notify: async (channel, payload) => {
      await orm.em.fork().getConnection().execute('select pg_notify(?, ?)', [channel, payload]);
    },
    onEvent: (kind, id) => {
      if (kind === 'session') sessionCache.evictSession(id);
      else if (kind === 'user') sessionCache.evictUser(id);
      else sessionCache.clear();
    },
    onLive: (live) => sessionCache.setLive(live),
  });
  await events.start();
  return events;
}
