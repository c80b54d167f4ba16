import type { MikroORM } from '@mikro-orm/postgresql';
import { backoffAfter, type ThrottleKey, type ThrottleRefusal, type ThrottleStore, type ThrottleTiming } from './throttle-store.js';

/** A row, its times in milliseconds. */
interface Row {
  kind: string;
  key: string;
  failures: number;
  next_at: number | null;
  updated_at: number;
}

/**
 * Counts in table `login_throttle`, one row per key; `updated_at` is its last counted attempt (for
 * a `fixedWindow` key, its first), and a row a window older than that is forgotten. A reservation locks its rows (in one order,
 * so two reservations cannot deadlock) and decides within one transaction.
 */
export class PostgresThrottleStore implements ThrottleStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly timing: ThrottleTiming,
  ) {}

  async reserve(keys: ThrottleKey[], now: number): Promise<ThrottleRefusal[]> {
    const sorted = [...keys].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));
    const at = new Date(now);
    return this.orm.em.fork().transactional(async (em) => {
      // Creates missing rows and locks them all in one statement: a row deleted meanwhile (a
      // success, pruning) is created again rather than missed.
      const rows: Row[] = await em.execute(
        `insert into "login_throttle" as t ("kind", "key", "updated_at") values ${sorted.map(() => '(?, ?, ?)').join(', ')}
          on conflict ("kind", "key") do update set "failures" = t."failures"
          returning "kind", "key", "failures", extract(epoch from "next_at")::float8 * 1000 as "next_at",
            extract(epoch from "updated_at")::float8 * 1000 as "updated_at"`,
        sorted.flatMap(({ kind, key }) => [kind, key, at]),
      );
      const counts = sorted.map((key) => {
        const row = rows.find((r) => r.kind === key.kind && r.key === key.key)!;
        const forgotten = row.updated_at <= now - this.timing.window;
        return { key, forgotten, failures: forgotten ? 0 : row.failures, nextAt: forgotten ? 0 : (row.next_at ?? 0) };
      });
      const refusals = counts
        .filter(({ key, failures, nextAt }) => failures >= key.freeAttempts && nextAt > now)
        .map(({ key, nextAt }) => ({ kind: key.kind, wait: nextAt - now }));
      if (refusals.length > 0) return refusals;
      for (const { key, failures, forgotten } of counts) {
        const wait = backoffAfter(failures + 1, key.freeAttempts, this.timing);
        // `updated_at` is the last counted attempt, or for a fixed window its first.
        await em.execute(
          `update "login_throttle" set "failures" = ?, "next_at" = ?, "updated_at" = coalesce(?, "updated_at") where "kind" = ? and "key" = ?`,
          [failures + 1, wait > 0 ? new Date(now + wait) : null, key.fixedWindow && !forgotten ? null : at, key.kind, key.key],
        );
      }
      return [];
    });
  }

  async reset({ kind, key }: ThrottleKey): Promise<void> {
    await this.orm.em.fork().execute(`delete from "login_throttle" where "kind" = ? and "key" = ?`, [kind, key]);
  }

  async refund({ kind, key }: ThrottleKey): Promise<void> {
    await this.orm.em
      .fork()
      .execute(`update "login_throttle" set "failures" = greatest("failures" - 1, 0) where "kind" = ? and "key" = ?`, [kind, key]);
  }

  async prune(now: number): Promise<number> {
    const result = await this.orm.em
      .fork()
      .execute(`delete from "login_throttle" where "updated_at" <= ?`, [new Date(now - this.timing.window)], 'run');
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  async close(): Promise<void> {}
}
