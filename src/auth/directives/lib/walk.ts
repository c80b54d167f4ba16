import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  typeFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Requirement, RequirementIndex } from './requirements.js';

export interface OperationToWalk {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Coerced variable values, for `@skip(if: $x)` / `@include(if: $x)`. */
  variables: Record<string, unknown>;
}

/** Returns the denial for some requirements of a subject (`Field "Query.account"`), or `null`. */
export type Check = (requirements: readonly Requirement[], subject: string) => GraphQLError | null;

function included(node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/**
 * Walks the selections an operation would execute — honouring `@skip`/`@include`, through
 * fragments and inline fragments, skipping introspection (`__schema`, `__type`, `__typename`) —
 * and returns the first denial in document order: of a selected field's requirements, or of the
 * type-level requirements of a fragment's type condition (`... on Account`). Each selection set
 * is visited once per parent type, so repeated fragment spreads cost nothing.
 */
export function firstDenial(index: RequirementIndex, input: OperationToWalk, check: Check): GraphQLError | null {
  const { schema, document, variables } = input;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const visited = new WeakMap<SelectionSetNode, Set<string>>();

  const enterFragment = (parent: GraphQLCompositeType, fragment: InlineFragmentNode | FragmentDefinitionNode): GraphQLError | null => {
    const condition = fragment.typeCondition ? typeFromAST(schema, fragment.typeCondition) : parent;
    if (!isCompositeType(condition)) return null;
    if (condition !== parent) {
      const denial = check(index.type(condition.name), `Type "${condition.name}"`);
      if (denial) return denial;
    }
    return walk(condition, fragment.selectionSet);
  };

  const walk = (parent: GraphQLCompositeType, selectionSet: SelectionSetNode): GraphQLError | null => {
    const seen = visited.get(selectionSet) ?? new Set<string>();
    if (seen.has(parent.name)) return null;
    visited.set(selectionSet, seen.add(parent.name));

    for (const selection of selectionSet.selections) {
      if (!included(selection, variables)) continue;
      let denial: GraphQLError | null = null;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        denial = check(index.field(parent.name, name), `Field "${parent.name}.${name}"`);
        const returned = getNamedType(field.type);
        if (!denial && selection.selectionSet && isCompositeType(returned)) denial = walk(returned, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        denial = enterFragment(parent, selection);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) denial = enterFragment(parent, fragment);
      }
      if (denial) return denial;
    }
    return null;
  };

  const root = schema.getRootType(input.operation.operation);
  return root ? walk(root, input.operation.selectionSet) : null;
}
