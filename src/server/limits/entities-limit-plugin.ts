import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { toGraphQLError } from '../../auth/graphql-errors.js';
import { RequestError } from '../../errors.js';

/** The representations one `_entities` field asks for: a list literal's, or its variable's. */
function representationCount(value: ValueNode | undefined, variables: Record<string, unknown> | undefined): number {
  if (!value) return 0;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const list = variables?.[value.name.value];
    return Array.isArray(list) ? list.length : list === undefined || list === null ? 0 : 1;
  }
  return 1;
}

/** Every `_entities` field at the root of an operation, fragments followed (each at most once). */
function countEntities(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> | undefined,
  seen: Set<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '_entities') continue;
      const argument = selection.arguments?.find((arg) => arg.name.value === 'representations');
      count += representationCount(argument?.value, variables);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countEntities(selection.selectionSet, fragments, variables, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) count += countEntities(fragment.selectionSet, fragments, variables, seen);
    }
  }
  return count;
}

/**
 * Refuses an operation whose `_entities` fields ask for more than `maxEntities` representations
 * in all (`limits.maxEntities`), before any is resolved: HTTP 400, `BAD_REQUEST`, reason
 * `REQUEST_INVALID`, the message naming the setting. Federation's `_entities` takes any number,
 * and each is a lookup: 10,000 of them would hold the service for seconds.
 */
export function entitiesLimitPlugin<TContext extends BaseContext>(maxEntities: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
          }
          const count = countEntities(operation.selectionSet, fragments, request.variables, new Set());
          if (count > maxEntities) {
            throw toGraphQLError(
              new RequestError(
                'REQUEST_INVALID',
                `${count} entity representations exceed the limit of ${maxEntities} (setting limits.maxEntities).`,
              ),
              { refuseRequest: true },
            );
          }
        },
      };
    },
  };
}
