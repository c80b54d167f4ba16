import {
  defaultFieldResolver,
  defaultTypeResolver,
  isAbstractType,
  isListType,
  isNonNullType,
  type GraphQLAbstractType,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { isPromiseLike } from '../../../lib/promise-like.js';
import type { Enforcer, Target } from './enforcer.js';
import type { Requirement } from './requirements.js';

type Resolver = GraphQLFieldResolver<unknown, unknown, Record<string, unknown>>;
type FieldConfig = GraphQLFieldConfig<unknown, unknown, Record<string, unknown>>;

/** Per concrete type, the requirements left to check once the runtime type is known. */
export type RuntimeRequirements = ReadonlyMap<string, readonly Requirement[]>;

function then<T>(value: T | PromiseLike<T>, next: (value: T) => unknown): unknown {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}

/** graphql-js reports an `Error` returned as a value at that value's path; anything thrown must be one. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(`Unexpected error value: ${String(error)}`);
}

/** Runs `enforce`; a denial becomes the returned `Error`, so only that item of a list fails. */
function settle(enforcer: Enforcer, requirements: readonly Requirement[], target: Target, value: unknown): unknown {
  try {
    const pending = enforcer.enforce(requirements, target);
    return pending ? pending.then(() => value, asError) : value;
  } catch (error) {
    return asError(error);
  }
}

/**
 * Checks each resolved object of an abstract-typed result (through lists and promises) against
 * the type-level requirements of its runtime type.
 */
function checkRuntimeTypes(
  value: unknown,
  type: GraphQLOutputType,
  runtime: RuntimeRequirements,
  target: Target,
  enforcer: Enforcer,
): unknown {
  if (isPromiseLike(value)) return Promise.resolve(value).then((v) => checkRuntimeTypes(v, type, runtime, target, enforcer));
  if (isNonNullType(type)) return checkRuntimeTypes(value, type.ofType, runtime, target, enforcer);
  if (value === null || value === undefined || value instanceof Error) return value;
  if (isListType(type)) {
    if (typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') return value;
    return Array.from(value as Iterable<unknown>, (item) => checkRuntimeTypes(item, type.ofType, runtime, target, enforcer));
  }
  if (!isAbstractType(type)) return value;
  const abstractType: GraphQLAbstractType = type;
  const resolveType = abstractType.resolveType ?? defaultTypeResolver;
  return then(resolveType(value, target.context, target.info, abstractType), (typeName) => {
    const requirements = typeof typeName === 'string' ? runtime.get(typeName) : undefined;
    if (!requirements) return value;
    return settle(enforcer, requirements, { ...target, subject: `${target.subject} returning "${typeName}"` }, value);
  });
}

export interface FieldGuard {
  coordinate: string;
  requirements: readonly Requirement[];
  /** Set when the field returns an abstract type some of whose possible types carry requirements. */
  runtime?: RuntimeRequirements;
}

/**
 * Wraps a field's `resolve` (and `subscribe`): the requirements are checked first, then the
 * original resolver runs. A denial is thrown, so the field is `null` with that error.
 */
export function guardField(config: FieldConfig, guard: FieldGuard, enforcer: Enforcer): FieldConfig {
  const subject = `Field "${guard.coordinate}"`;
  const wrap =
    (resolve: Resolver, checkResult: boolean): Resolver =>
    (parent, args, context, info) => {
      const target: Target = { subject, parent, args, context, info };
      const run = () => {
        const result = resolve(parent, args, context, info);
        if (!checkResult || !guard.runtime) return result;
        return checkRuntimeTypes(result, info.returnType, guard.runtime, target, enforcer);
      };
      const pending = enforcer.enforce(guard.requirements, target);
      return pending ? pending.then(run) : run();
    };
  return {
    ...config,
    resolve: wrap(config.resolve ?? defaultFieldResolver, true),
    ...(config.subscribe ? { subscribe: wrap(config.subscribe, false) } : {}),
  };
}

export interface EntityGuard {
  /** Type-level requirements of the type a representation names. */
  requirements(typeName: string): readonly Requirement[];
  /** For interface entities, what their implementations add. */
  runtime(typeName: string): RuntimeRequirements | undefined;
}

/**
 * Wraps `Query._entities`: each representation is checked against its type's requirements
 * before any `__resolveReference` runs; a denied one is left out of the call and answered with
 * its error, in place, so the other entities still resolve.
 */
export function guardEntities(config: FieldConfig, guard: EntityGuard, enforcer: Enforcer): FieldConfig {
  const resolve = config.resolve ?? defaultFieldResolver;
  const entities: Resolver = (parent, args, context, info: GraphQLResolveInfo) => {
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    const typeNameOf = (representation: unknown) => String((representation as { __typename?: unknown } | null)?.__typename);
    const targetOf = (representation: unknown): Target => ({
      subject: `Entity "${typeNameOf(representation)}"`,
      parent,
      args: (representation ?? {}) as Record<string, unknown>,
      context,
      info,
    });
    const decisions = representations.map((representation) => {
      const requirements = guard.requirements(typeNameOf(representation));
      return requirements.length === 0 ? null : settle(enforcer, requirements, targetOf(representation), null);
    });
    const finish = (settled: unknown[]) => {
      const allowed = representations.filter((_, i) => settled[i] === null);
      return then(resolve(parent, { ...args, representations: allowed }, context, info), (result) => {
        const items = Array.from(result as Iterable<unknown>);
        let next = 0;
        return settled.map((denial, i) => {
          if (denial !== null) return denial;
          const item = items[next++];
          const typeName = typeNameOf(representations[i]);
          const runtime = guard.runtime(typeName);
          const type = info.schema.getType(typeName);
          if (!runtime || !isAbstractType(type)) return item;
          return checkRuntimeTypes(item, type, runtime, targetOf(representations[i]), enforcer);
        });
      });
    };
    return decisions.some(isPromiseLike) ? Promise.all(decisions).then(finish) : finish(decisions);
  };
  return { ...config, resolve: entities };
}
