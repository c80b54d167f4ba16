import { GraphQLSchema, getNamedType, isAbstractType, isInterfaceType } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { SettingsError, SsoError } from '../../errors.js';
import { resolveDirectiveNames } from './lib/directive-names.js';
import { createEnforcer } from './lib/enforcer.js';
import { guardEntities, guardField, type EntityGuard, type FieldGuard } from './lib/guards.js';
import { buildRequirementIndex, type RequirementIndex } from './lib/requirements.js';
import { STATE_KEY, readState, type AuthDirectivesState } from './lib/state.js';
import type { AuthDirectivesOptions } from './types.js';

function assertPoliciesRegistered(index: RequirementIndex, policies: object): void {
  for (const { policy, where } of index.policyUses) {
    const registered = Object.hasOwn(policies, policy) ? (policies as Record<string, unknown>)[policy] : undefined;
    if (typeof registered !== 'function') {
      throw new SettingsError('policies', `@policy on ${where} names policy "${policy}", which is not registered.`);
    }
  }
}

function entityGuard(schema: GraphQLSchema, index: RequirementIndex): EntityGuard {
  return {
    requirements: (typeName) => index.type(typeName),
    runtime(typeName) {
      const type = schema.getType(typeName);
      if (!isInterfaceType(type)) return undefined;
      return index.runtime(type, index.type(typeName));
    },
  };
}

/**
 * Enforces the federation authorization directives — `@authenticated`, `@requiresScopes`,
 * `@policy` — by wrapping the resolvers of the fields they guard; the resolvers themselves stay
 * as they are. What guards a field, all of which must hold:
 *
 * - the directives on the field, and on the same field of every interface its type implements;
 * - the type-level directives of the type it returns (through lists and non-null), and of the
 *   interfaces that type implements: `type Account @authenticated` guards `Query.account` and
 *   `User.accounts: [Account!]!`, not the fields of `Account` itself (the Apollo Router semantic);
 *   on a root type (`type Query @authenticated`), every root field;
 * - for a field returning an interface or union, the type-level directives of the object it
 *   actually returns, checked once it is resolved;
 * - an entity resolved through `_entities` is checked against its type's directives before its
 *   `__resolveReference` runs; its fields are guarded like any field.
 *
 * A denied field resolves to `null` with a `GraphQLError` coded `UNAUTHENTICATED` (no verified
 * claims) or `FORBIDDEN` (a scope set or policy unmet), naming the requirement; checks run in the
 * order authentication, scopes, policies. Introspection and `_service` are never guarded.
 *
 * Throws when a `@policy` names a policy missing from `options.policies`, naming where, or when
 * the schema was already transformed.
 */
export function applyAuthDirectives<TContext = unknown>(
  schema: GraphQLSchema,
  options: AuthDirectivesOptions<TContext> = {},
): GraphQLSchema {
  if (readState(schema)) {
    throw new SsoError('INVALID_SETTINGS', 'applyAuthDirectives was already applied to this schema.');
  }
  const index = buildRequirementIndex(schema, resolveDirectiveNames(schema, options.directiveNames));
  assertPoliciesRegistered(index, options.policies ?? {});
  const enforcer = createEnforcer(options);
  const entities = entityGuard(schema, index);
  const queryTypeName = schema.getQueryType()?.name;

  const mapped = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      if (typeName === queryTypeName && fieldName === '_entities') return guardEntities(config, entities, enforcer);
      const requirements = index.field(typeName, fieldName);
      const guard: FieldGuard = { coordinate: `${typeName}.${fieldName}`, requirements };
      const returned = getNamedType(config.type);
      if (isAbstractType(returned)) {
        guard.runtime = index.runtime(returned, requirements);
      }
      if (requirements.length === 0 && !guard.runtime) return config;
      return guardField(config, guard, enforcer);
    },
  });

  const state: AuthDirectivesState = {
    mode: options.mode ?? 'resolve-null',
    scheme: (options.mode === 'reject' ? options.scheme : undefined) ?? 'JWT',
    index,
    enforcer,
  };
  return new GraphQLSchema({ ...mapped.toConfig(), extensions: { ...mapped.extensions, [STATE_KEY]: state } });
}
