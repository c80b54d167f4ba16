import type { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseObserver } from './metrics.js';

/** What knex passes with its query events: the id that ties a query to its response or error. */
interface KnexQuery {
  __knexQueryUid?: string;
}

/**
 * Reports every query of the ORM's knex instance (transactions' included) to `observer`: its
 * duration, and whether it failed. Listens to knex's `query` / `query-response` / `query-error`
 * events, so it works on any open ORM, however it was configured. Statements knex issues without
 * a query id (BEGIN, COMMIT) are counted when they fail, not timed. Returns the function that
 * stops observing.
 */
export function observeDatabase(orm: MikroORM, observer: DatabaseObserver): () => void {
  const knex = orm.em.getKnex();
  const started = new Map<string, bigint>();
  const onQuery = (query: KnexQuery) => {
    if (query.__knexQueryUid) started.set(query.__knexQueryUid, process.hrtime.bigint());
  };
  const finish = (query: KnexQuery | undefined) => {
    const uid = query?.__knexQueryUid;
    const start = uid === undefined ? undefined : started.get(uid);
    if (start === undefined) return;
    started.delete(uid!);
    observer.databaseQuery(Number(process.hrtime.bigint() - start) / 1e9);
  };
  const onResponse = (_response: unknown, query: KnexQuery) => finish(query);
  const onError = (_error: unknown, query: KnexQuery) => {
    finish(query);
    observer.databaseError();
  };
  knex.on('query', onQuery);
  knex.on('query-response', onResponse);
  knex.on('query-error', onError);
  return () => {
    knex.off('query', onQuery);
    knex.off('query-response', onResponse);
    knex.off('query-error', onError);
    started.clear();
  };
}
