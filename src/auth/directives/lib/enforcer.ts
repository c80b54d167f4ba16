import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { SsoError } from '../../../errors.js';
import { toGraphQLError } from '../../graphql-errors.js';
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
  /** Throws the denial; returns a promise only when policies have to run or the user is still to be resolved. */
  enforce(requirements: readonly Requirement[], target: Target): void | Promise<void>;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** How a failing policy or user lookup fails the field. */
function policyFailure(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof SsoError) return toGraphQLError(error);
  return error;
}

/** Binds the extension points of `options` once; no state beyond a per-claims scope cache. */
export function createEnforcer<TContext>(options: AuthDirectivesOptions<TContext>): Enforcer {
  // Resolvers hand over the context as `unknown`; it is the `TContext` these hooks were typed for.
  const getClaims = (options.getClaims ?? defaultGetClaims) as (context: unknown) => Claims | null;
  const getUser = (options.getUser ?? defaultGetUser) as (context: unknown) => unknown;
  const extractScopes = options.extractScopes ?? defaultExtractScopes;
  const policies = new Map(Object.entries(options.policies ?? {})) as Map<string, Policy<unknown>>;
  const scopeCache = new WeakMap<Claims, ReadonlySet<string>>();

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

  const holds = async (name: string, input: PolicyInput<unknown>): Promise<boolean> => {
    // Registration is checked when the directives are applied, so the policy exists.
    const policy = policies.get(name) as Policy<unknown>;
    try {
      return (await policy(input)) === true;
    } catch (error) {
      throw policyFailure(error);
    }
  };

  const anySetHolds = async (sets: NameSets, input: PolicyInput<unknown>): Promise<boolean> => {
    for (const set of sets) {
      let all = true;
      for (const name of set) {
        if (!(await holds(name, input))) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  };

  const checkPolicies = async (requirements: readonly Requirement[], claims: Claims, user: unknown, target: Target) => {
    const input: PolicyInput<unknown> = { claims, user, args: target.args, parent: target.parent, context: target.context, info: target.info };
    for (const requirement of requirements) {
      if (requirement.kind === 'policy' && !(await anySetHolds(requirement.sets, input))) {
        throw deniedByPolicy(target.subject, requirement.sets);
      }
    }
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
      const needsPolicies = requirements.some((r) => r.kind === 'policy');
      if (!isPromiseLike(user)) return needsPolicies ? checkPolicies(requirements, claims, user, target) : undefined;
      return Promise.resolve(user).then(
        (resolved) => (needsPolicies ? checkPolicies(requirements, claims, resolved, target) : undefined),
        (error: unknown) => {
          throw policyFailure(error);
        },
      );
    },
  };
}
