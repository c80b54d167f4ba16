import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  type GraphQLAbstractType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { SsoError } from '../../../errors.js';
import type { DirectiveNames } from '../types.js';

/** OR of AND-lists: `[["a", "b"], ["c"]]` is (a AND b) OR c. */
export type NameSets = readonly (readonly string[])[];

/** One requirement; `key` identifies equal requirements so they are checked once. */
export type Requirement =
  | { readonly kind: 'authenticated'; readonly key: string }
  | { readonly kind: 'scopes' | 'policy'; readonly sets: NameSets; readonly key: string };

export interface PolicyUse {
  policy: string;
  /** e.g. `field "Query.account"` or `type "Account"`. */
  where: string;
}

export interface RequirementIndex {
  /** A type's own type-level requirements plus those of the interfaces it implements. */
  type(typeName: string): readonly Requirement[];
  /**
   * Everything that guards a field: its own directives, those on the same field of the
   * interfaces its type implements, and the type-level requirements of its return type (and of
   * its type, for root types). On an interface, also those of every implementation's field.
   */
  field(typeName: string, fieldName: string): readonly Requirement[];
  /** For each possible type of `abstractType`, its type-level requirements not in `checked`. */
  runtime(abstractType: GraphQLAbstractType, checked: readonly Requirement[]): ReadonlyMap<string, readonly Requirement[]> | undefined;
  /** Every policy name the schema uses, and where, for the build-time registration check. */
  readonly policyUses: readonly PolicyUse[];
}

const AUTHENTICATED: Requirement = { kind: 'authenticated', key: 'authenticated' };
const NONE: readonly Requirement[] = [];
/** Federation internals that never inherit a root type's requirements. */
const FEDERATION_ROOT_FIELDS = new Set(['_service', '_entities']);

function parseSets(value: unknown, directive: string, where: string): NameSets {
  const sets = Array.isArray(value) ? value.map((set: unknown) => (typeof set === 'string' ? [set] : set)) : undefined;
  const valid = (set: unknown): set is string[] => Array.isArray(set) && set.every((name) => typeof name === 'string');
  if (!sets || sets.length === 0 || !sets.every(valid)) {
    throw new SsoError(
      'INVALID_SETTINGS',
      `@${directive} on ${where} needs a non-empty list of lists of names, got ${JSON.stringify(value)}.`,
    );
  }
  return sets;
}

function merge(...lists: (readonly Requirement[])[]): readonly Requirement[] {
  const byKey = new Map<string, Requirement>();
  for (const list of lists) for (const requirement of list) byKey.set(requirement.key, requirement);
  return byKey.size === 0 ? NONE : [...byKey.values()];
}

/** Reads the authorization directives of every type and field of `schema` once. */
export function buildRequirementIndex(schema: GraphQLSchema, names: DirectiveNames): RequirementIndex {
  const policyUses: PolicyUse[] = [];

  const own = (element: GraphQLNamedType | GraphQLField<unknown, unknown>, where: string): readonly Requirement[] => {
    const found: Requirement[] = [];
    if (getDirective(schema, element, names.authenticated)?.length) found.push(AUTHENTICATED);
    for (const args of getDirective(schema, element, names.requiresScopes) ?? []) {
      const sets = parseSets(args.scopes, names.requiresScopes, where);
      found.push({ kind: 'scopes', sets, key: `scopes:${JSON.stringify(sets)}` });
    }
    for (const args of getDirective(schema, element, names.policy) ?? []) {
      const sets = parseSets(args.policies, names.policy, where);
      for (const policy of new Set(sets.flat())) policyUses.push({ policy, where });
      found.push({ kind: 'policy', sets, key: `policy:${JSON.stringify(sets)}` });
    }
    return merge(found);
  };

  const userTypes = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__'));
  const composites = userTypes.filter((type) => isObjectType(type) || isInterfaceType(type)) as (
    GraphQLObjectType | GraphQLInterfaceType
  )[];

  const ownTypes = new Map<string, readonly Requirement[]>();
  for (const type of userTypes) {
    if (isObjectType(type) || isInterfaceType(type) || isScalarType(type) || isEnumType(type)) {
      ownTypes.set(type.name, own(type, `type "${type.name}"`));
    }
  }
  const ownType = (name: string) => ownTypes.get(name) ?? NONE;

  const types = new Map<string, readonly Requirement[]>();
  for (const type of composites) {
    types.set(type.name, merge(ownType(type.name), ...type.getInterfaces().map((i) => ownType(i.name))));
  }
  const typeRequirements = (name: string) => types.get(name) ?? ownType(name);

  const ownFields = new Map<string, readonly Requirement[]>();
  for (const type of composites) {
    for (const field of Object.values(type.getFields())) {
      ownFields.set(`${type.name}.${field.name}`, own(field, `field "${type.name}.${field.name}"`));
    }
  }

  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name));
  const fields = new Map<string, readonly Requirement[]>();
  for (const type of composites) {
    for (const field of Object.values(type.getFields())) {
      const fromRoot = roots.has(type.name) && !FEDERATION_ROOT_FIELDS.has(field.name) ? typeRequirements(type.name) : NONE;
      fields.set(
        `${type.name}.${field.name}`,
        merge(
          ownFields.get(`${type.name}.${field.name}`) ?? NONE,
          ...type.getInterfaces().map((i) => ownFields.get(`${i.name}.${field.name}`) ?? NONE),
          typeRequirements(getNamedType(field.type).name),
          fromRoot,
        ),
      );
    }
  }
  // An interface field is selected before the runtime type is known: demand what every
  // implementation's field demands (conservative, like the router).
  for (const type of composites) {
    if (!isInterfaceType(type)) continue;
    for (const name of Object.keys(type.getFields())) {
      const implementations = schema.getPossibleTypes(type).map((p) => fields.get(`${p.name}.${name}`) ?? NONE);
      fields.set(`${type.name}.${name}`, merge(fields.get(`${type.name}.${name}`) ?? NONE, ...implementations));
    }
  }

  return {
    policyUses,
    type: typeRequirements,
    field: (typeName, fieldName) => fields.get(`${typeName}.${fieldName}`) ?? NONE,
    runtime(abstractType, checked) {
      const done = new Set(checked.map((r) => r.key));
      const extra = new Map<string, readonly Requirement[]>();
      for (const possible of schema.getPossibleTypes(abstractType)) {
        const left = typeRequirements(possible.name).filter((r) => !done.has(r.key));
        if (left.length > 0) extra.set(possible.name, left);
      }
      return extra.size > 0 ? extra : undefined;
    },
  };
}
