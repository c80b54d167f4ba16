import type { Logger } from 'pino';

/** What `GET /readyz` reports of the database; `reason` is a driver code (`ECONNREFUSED`, `57P03`) or `timeout`. */
export type DatabaseState = { database: 'up' } | { database: 'down'; reason: string };

/** The driver's code, else whether the driver gave up waiting (connect or pool timeout). */
function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' && /timeout/i.test(message) ? 'timeout' : 'error';
}

export interface DatabaseReadinessOptions {
  /** One round trip to the database (`select 1`). */
  ping: () => Promise<unknown>;
  /** Milliseconds a ping may take before the database counts as down. */
  timeout: number;
  /** Milliseconds an answer is reused, so that frequent probes do not hammer the database (default 1000). */
  cacheFor?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Whether the database answers, for `GET /readyz`: a bounded ping whose answer is reused for a
 * second; probes arriving meanwhile share one ping. Each change (down, up again) is logged once.
 */
export class DatabaseReadiness {
  private last: { state: DatabaseState; at: number } | null = null;
  private pending: Promise<DatabaseState> | null = null;
  private readonly cacheFor: number;
  private readonly now: () => number;

  constructor(private readonly options: DatabaseReadinessOptions) {
    this.cacheFor = options.cacheFor ?? 1000;
    this.now = options.now ?? Date.now;
  }

  check(): Promise<DatabaseState> {
    if (this.last && this.now() - this.last.at < this.cacheFor) return Promise.resolve(this.last.state);
    return (this.pending ??= this.ping().finally(() => (this.pending = null)));
  }

  private async ping(): Promise<DatabaseState> {
    const { timeout, logger } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout)));
    let state: DatabaseState;
    let cause: unknown;
    try {
      const ping = this.options.ping();
      // A ping that answers after the timeout must not become an unhandled rejection.
      ping.catch(() => undefined);
      const outcome = await Promise.race([ping.then(() => 'up' as const), timedOut]);
      state = outcome === 'up' ? { database: 'up' } : { database: 'down', reason: 'timeout' };
    } catch (error) {
      cause = error;
      state = { database: 'down', reason: reasonOf(error) };
    } finally {
      clearTimeout(timer);
    }
    const previous = this.last?.state.database;
    if (state.database === 'down' && previous !== 'down') {
      logger.warn({ err: cause, reason: state.reason }, 'Database unavailable: requests that need it are answered 503 until it is back');
    } else if (state.database === 'up' && previous === 'down') {
      logger.info('Database available again');
    }
    this.last = { state, at: this.now() };
    return state;
  }
}
