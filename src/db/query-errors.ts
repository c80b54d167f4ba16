import type { MikroORM } from '@mikro-orm/postgresql';

/** What knex passes with `query-error`: the statement as sent. */
interface KnexQuery {
  sql?: string;
}

/**
 * Makes the errors of failed queries tell what the database said, without the statement:
 * MikroORM inlines bound values (a password hash, a session id) into the SQL it sends, and knex
 * prefixes a failed query's message with that SQL (`compileSqlOnError: false` makes the prefix
 * exactly the statement sent, so that it can be cut off here). Errors get logged; their SQL
 * would be too. The driver's fields (`code`, `table`, `constraint`, ...) stay.
 * Runs on knex's `query-error` event, before MikroORM wraps the error in its own exception.
 */
export function hideQueriesInErrors(orm: MikroORM): void {
  orm.em.getKnex().on('query-error', (error: unknown, query: KnexQuery | undefined) => {
    if (!(error instanceof Error) || typeof query?.sql !== 'string') return;
    const prefix = `${query.sql} - `;
    if (error.message.startsWith(prefix)) error.message = error.message.slice(prefix.length);
  });
}
