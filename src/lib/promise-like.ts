/**
 * Whether `value` is a thenable. Hooks and resolvers may answer synchronously; graphql-sso keeps
 * such answers synchronous (graphql-js then builds no promises for a field), so it must tell them
 * from promises, including other libraries' thenables.
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
