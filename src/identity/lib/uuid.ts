/**
 * Whether `value` is a UUID as PostgreSQL's `uuid` type reads it (hyphenated, any case): ids of
 * users and sessions. Anything else names no row, and is answered as such without a query (the
 * database would refuse it with an error rather than find nothing).
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
