import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseNotifications } from '../db/notifications.js';
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
  onEvent: (kind: SessionEventKind, id: string) => void;
  /** Called with `true` once notifications are proven to arrive, `false` when that stops. */
  onLive: (live: boolean) => void;
  logger: Logger;
  /** How long a probe notification may take before the database is deemed unable (ms). */
  probeTimeout?: number;
  /** Reconnection back-off bounds (ms). */
  retryDelay?: { min: number; max: number };
}

type SessionEventKind = 'session' | 'user' | 'flush';

/** A payload of `sso_session` to its handler: `<kind>:<id>`, a probe's `probe:<token>` to the probe awaiting it. */
function dispatch(payload: string, probes: Map<string, () => void>, onEvent: (kind: SessionEventKind, id: string) => void): void {
  const at = payload.indexOf(':');
  const kind = payload.slice(0, at);
  const id = payload.slice(at + 1);
  if (kind === 'probe') probes.get(id)?.();
  else if ((kind === 'session' || kind === 'user' || kind === 'flush') && id) onEvent(kind, id);
}

/** Sends a probe through `notify` and waits for it to come back through `probes` (false: it did not in time). */
async function probe(
  probes: Map<string, () => void>,
  notify: (channel: string, payload: string) => Promise<void>,
  timeout = 2000,
): Promise<boolean> {
  const token = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  const arrived = new Promise<boolean>((resolve) => {
    probes.set(token, () => resolve(true));
    timer = setTimeout(() => resolve(false), timeout);
  });
  try {
    await notify(SESSION_CHANNEL, `probe:${token}`);
    return await arrived;
  } finally {
    clearTimeout(timer);
    probes.delete(token);
  }
}

/**
 * Listens to `sso_session` on a dedicated connection and reports each event. "Live" only after a
 * probe sent through another connection came back, so a database that does not deliver
 * notifications between connections (the embedded PGlite) is never trusted to; a lost connection
 * turns it off at once and is retried with back-off.
 */
class SessionEvents {
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
        logger.debug(
          'The embedded database, reached through its socket, does not deliver notifications to other connections: sessions are not cached',
        );
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

  private probe(): Promise<boolean> {
    return probe(this.probes, this.options.notify, this.options.probeTimeout);
  }

  private receive(payload: string): void {
    dispatch(payload, this.probes, this.options.onEvent);
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

/** What keeps a session cache in step with its database until `close`. */
export interface SessionChangeListener {
  close(): Promise<void>;
}

/**
 * The embedded database opened in this process sees every client's commit: its notifications
 * arrive before the committing client (the CLI, a script, this service) reads the answer, so a
 * revocation made anywhere is evicted before anything can follow it. Live once a probe came
 * back; a statement that may drop the LISTEN ends it for good.
 */
async function listenInProcess(
  notifications: DatabaseNotifications,
  notify: (channel: string, payload: string) => Promise<void>,
  onEvent: (kind: SessionEventKind, id: string) => void,
  sessionCache: SessionCache,
  logger: Logger,
): Promise<SessionChangeListener> {
  const probes = new Map<string, () => void>();
  let lost = false;
  const unsubscribe = notifications.subscribe(SESSION_CHANNEL, {
    onNotify: (payload) => dispatch(payload, probes, onEvent),
    onLost: () => {
      lost = true;
      sessionCache.setLive(false);
      logger.warn('A client of the embedded database ran UNLISTEN or DISCARD: sessions are not cached until the service restarts');
    },
  });
  if (await probe(probes, notify)) {
    if (!lost) {
      sessionCache.setLive(true);
      logger.info({ channel: SESSION_CHANNEL }, 'Caching sessions: the embedded database reports every revocation to this process');
    }
  } else {
    logger.warn('Session notifications of the embedded database did not arrive: sessions are not cached');
  }
  return {
    async close() {
      unsubscribe();
      sessionCache.setLive(false);
    },
  };
}

/**
 * Connects the session cache of `services` to the `sso_session` notifications of its database:
 * the cache works only while they arrive. `notifications`: the embedded database's, when it was
 * opened in this process (`Database#notifications`); else a connection of its own LISTENs.
 */
export async function listenForSessionChanges(
  services: { orm: MikroORM; sessionCache: SessionCache; settings: { sessionCacheTtl: number; databaseListenUrl?: string | null } },
  logger: Logger,
  notifications?: DatabaseNotifications,
): Promise<SessionChangeListener | null> {
  const { orm, sessionCache } = services;
  if (services.settings.sessionCacheTtl === 0) return null;
  const notify = async (channel: string, payload: string) => {
    await orm.em.fork().getConnection().execute('select pg_notify(?, ?)', [channel, payload]);
  };
  const onEvent = (kind: SessionEventKind, id: string) => {
    if (kind === 'session') sessionCache.evictSession(id);
    else if (kind === 'user') sessionCache.evictUser(id);
    else sessionCache.clear();
  };
  if (notifications) return listenInProcess(notifications, notify, onEvent, sessionCache, logger);
  const databaseUrl = orm.config.get('clientUrl');
  if (!databaseUrl) return null;
  // A pooler in transaction mode hands each statement any server connection: LISTEN needs its own.
  const url = services.settings.databaseListenUrl ?? (process.env.DATABASE_LISTEN_URL || databaseUrl);
  const events = new SessionEvents({
    url,
    Client: (orm.em.getConnection().getKnex().client as { driver: typeof pg }).driver.Client,
    logger,
    notify,
    onEvent,
    onLive: (live) => sessionCache.setLive(live),
  });
  await events.start();
  return events;
}
