import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { SsoError } from '../../../errors.js';
import { hookFailure } from '../../../lib/hooks.js';
import { isPromiseLike } from '../../../lib/promise-like.js';
import { toGraphQLError } from '../../graphql-errors.js';
import { LazyUser, type UserOutcome } from '../../lazy-user.js';
import { defaultExtractScopes, defaultGetClaims, defaultGetUser } from '../defaults.js';
import type { AuthDirectivesOptions, Claims, Policy, PolicyInput } from '../types.js';
import { deniedByPolicy, missingScopes, unauthenticated, type Refusal } from './denials.js';
import type { NameSets, Requirement } from './requirements.js';

/** What a check is about: the subject named in messages and the policy input. */
export interface Target {
  /** e.g. `Field "Query.account"` or `Entity "Account"`. */
  subject: string;
  parent: unknown;
  args: Record<string, unknown>;
  context: unknown;
  info: GraphQLResolveInfo;
}

export interface Enforcer {
  claims(context: unknown): Claims | null;
  /**
   * The first unmet requirement that needs no arguments: authentication (every requirement,
   * policies included, implies it) then scopes, in order. `null` when they all hold.
   */
  staticDenial(requirements: readonly Requirement[], claims: Claims | null, subject: string, refusal?: Refusal): GraphQLError | null;
  /**
   * Throws the denial; returns a promise only when a policy answers with one or the user is
   * still to be resolved, so that a guarded field stays synchronous where its resolver is.
   */
  enforce(requirements: readonly Requirement[], target: Target): void | Promise<void>;
}

/**
 * How a failing policy or user lookup fails the field: an `SsoError` (a `HookError` included) as
 * `toGraphQLError` maps it, anything else as it is.
 */
function policyFailure(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof SsoError) return toGraphQLError(error);
  return error;
}

/** What a policy threw, as it fails the field: unexpected errors are `HookError`s (`INTERNAL_SERVER_ERROR`). */
function policyThrew(policy: string, error: unknown): unknown {
  return policyFailure(hookFailure(`policies.${policy}`, error));
}

/** Binds the extension points of `options` once; no state beyond per-claims and per-user caches. */
export function createEnforcer<TContext>(options: AuthDirectivesOptions<TContext>): Enforcer {
  // Resolvers hand over the context as `unknown`; it is the `TContext` these hooks were typed for.
  const getClaims = (options.getClaims ?? defaultGetClaims) as (context: unknown) => Claims | null;
  const getUser = (options.getUser ?? defaultGetUser) as (context: unknown) => unknown;
  const extractScopes = options.extractScopes ?? defaultExtractScopes;
  const policies = new Map(Object.entries(options.policies ?? {})) as Map<string, Policy<unknown>>;
  const scopeCache = new WeakMap<Claims, ReadonlySet<string>>();
  // A promised user is awaited by the first guarded field of a request; the others read how it
  // settled. `createSsoContext`'s (`lazyUser`) tells that itself, at once when known at once.
  const settledUsers = new WeakMap<PromiseLike<unknown>, UserOutcome>();

  const scopesOf = (claims: Claims): ReadonlySet<string> => {
    let scopes = scopeCache.get(claims);
    if (!scopes) scopeCache.set(claims, (scopes = new Set(extractScopes(claims))));
    return scopes;
  };

  const staticDenial: Enforcer['staticDenial'] = (requirements, claims, subject, refusal) => {
    if (requirements.length === 0) return null;
    if (claims === null) return unauthenticated(subject, refusal);
    for (const requirement of requirements) {
      if (requirement.kind !== 'scopes') continue;
      const granted = scopesOf(claims);
      if (!requirement.sets.some((set) => set.every((scope) => granted.has(scope)))) {
        return missingScopes(subject, requirement.sets, refusal);
      }
    }
    return null;
  };

  // Policies run one at a time, in order, stopping at the first verdict that decides; all
  // synchronously until one answers with a promise, the rest then after it.
  const holds = (name: string, input: PolicyInput<unknown>): boolean | Promise<boolean> => {
    // Registration is checked when the directives are applied, so the policy exists.
    const policy = policies.get(name) as Policy<unknown>;
    let verdict: boolean | PromiseLike<boolean>;
    try {
      verdict = policy(input);
    } catch (error) {
      throw policyThrew(name, error);
    }
    if (isPromiseLike(verdict)) {
      return Promise.resolve(verdict).then(
        (value) => value === true,
        (error: unknown) => {
          throw policyThrew(name, error);
        },
      );
    }
    return verdict === true;
  };

  const allHold = (set: readonly string[], input: PolicyInput<unknown>, from = 0): boolean | Promise<boolean> => {
    for (let i = from; i < set.length; i += 1) {
      const verdict = holds(set[i]!, input);
      if (verdict instanceof Promise) return verdict.then((value) => value && allHold(set, input, i + 1));
      if (!verdict) return false;
    }
    return true;
  };

  const anySetHolds = (sets: NameSets, input: PolicyInput<unknown>, from = 0): boolean | Promise<boolean> => {
    for (let i = from; i < sets.length; i += 1) {
      const verdict = allHold(sets[i]!, input);
      if (verdict instanceof Promise) return verdict.then((value) => value || anySetHolds(sets, input, i + 1));
      if (verdict) return true;
    }
    return false;
  };

  const policiesFrom = (
    requirements: readonly Requirement[],
    input: PolicyInput<unknown>,
    subject: string,
    from: number,
  ): void | Promise<void> => {
    for (let i = from; i < requirements.length; i += 1) {
      const requirement = requirements[i]!;
      if (requirement.kind !== 'policy') continue;
      const verdict = anySetHolds(requirement.sets, input);
      if (verdict instanceof Promise) {
        return verdict.then((value) => {
          if (!value) throw deniedByPolicy(subject, requirement.sets);
          return policiesFrom(requirements, input, subject, i + 1);
        });
      }
      if (!verdict) throw deniedByPolicy(subject, requirement.sets);
    }
  };

  const checkPolicies = (requirements: readonly Requirement[], claims: Claims, user: unknown, target: Target): void | Promise<void> => {
    if (!requirements.some((r) => r.kind === 'policy')) return;
    const input: PolicyInput<unknown> = {
      claims,
      user,
      args: target.args,
      parent: target.parent,
      context: target.context,
      info: target.info,
    };
    return policiesFrom(requirements, input, target.subject, 0);
  };

  return {
    claims: getClaims,
    staticDenial,
    enforce(requirements, target) {
      const claims = getClaims(target.context);
      const denial = staticDenial(requirements, claims, target.subject);
      if (denial) throw denial;
      if (claims === null || requirements.length === 0) return;
      // A lazily resolved user (`ctx.user` of createSsoContext) is part of being authenticated:
      // a token whose user is refused (e.g. deactivated) passes no requirement.
      const user = getUser(target.context);
      if (!isPromiseLike(user)) return checkPolicies(requirements, claims, user, target);
      const settled = (user instanceof LazyUser ? user.peek() : undefined) ?? settledUsers.get(user);
      if (settled) {
        if (!settled.ok) throw policyFailure(settled.error);
        return checkPolicies(requirements, claims, settled.value, target);
      }
      return Promise.resolve(
        user.then(
          (resolved) => {
            settledUsers.set(user, { ok: true, value: resolved });
            return checkPolicies(requirements, claims, resolved, target);
          },
          (error: unknown) => {
            settledUsers.set(user, { ok: false, error });
            throw policyFailure(error);
          },
        ),
      );
    },
  };
}
