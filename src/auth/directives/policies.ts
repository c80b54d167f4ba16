import type { Policies } from './types.js';

/**
 * Types a set of named policies against the context they will see; returns them unchanged.
 *
 * ```ts
 * const policies = definePolicies<SsoContext>({
 *   'account-member': ({ claims, args, parent }) =>
 *     claims.account === (args.id ?? (parent as { accountId?: string } | null)?.accountId),
 * });
 * ```
 */
export function definePolicies<TContext = unknown>(policies: Policies<TContext>): Policies<TContext> {
  return policies;
}
