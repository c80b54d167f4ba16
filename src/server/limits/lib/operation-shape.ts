import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** How big an operation is, as executed: fragments expanded, `@skip`/`@include` ignored (the worst case). */
export interface OperationShape {
  /** Fields on the longest path from the root to a leaf (`{ me { username } }`: 2). */
  depth: number;
  /** Aliased fields, each fragment counted as many times as it is spread. */
  aliases: number;
  /** Distinct response names at the root (`{ a: me b: me }`: 2, `{ me me }`: 1). */
  rootFields: number;
}

interface Measure {
  depth: number;
  aliases: number;
}

const EMPTY: Measure = { depth: 0, aliases: 0 };

/**
 * Measures an operation in one pass over its document. Each fragment is measured once per
 * context (inside introspection or not) and remembered, so repeated spreads cost nothing; a
 * fragment spread from within itself, or one that does not exist, counts as empty (graphql-js's
 * own rules refuse such documents). Inside `__schema` and `__type`, `ofType` adds no depth: it
 * follows a type's list and non-null wrappers, a short chain of cheap lookups that introspection
 * queries spell out several levels deep.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
): OperationShape {
  const measured = new Map<string, Measure>();
  const entered = new Set<string>();

  const measureSet = (set: SelectionSetNode, introspection: boolean): Measure => {
    let depth = 0;
    let aliases = 0;
    for (const selection of set.selections) {
      let inner: Measure;
      let own = 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const nested = introspection || name === '__schema' || name === '__type';
        own = introspection && name === 'ofType' ? 0 : 1;
        if (selection.alias) aliases += 1;
        inner = selection.selectionSet ? measureSet(selection.selectionSet, nested) : EMPTY;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measureSet(selection.selectionSet, introspection);
      } else {
        inner = measureSpread(selection.name.value, introspection);
      }
      depth = Math.max(depth, own + inner.depth);
      aliases += inner.aliases;
    }
    return { depth, aliases };
  };

  const measureSpread = (name: string, introspection: boolean): Measure => {
    const key = `${introspection ? 'i' : 'o'}:${name}`;
    const known = measured.get(key);
    if (known) return known;
    const definition = fragment(name);
    if (!definition || entered.has(key)) return EMPTY;
    entered.add(key);
    const result = measureSet(definition.selectionSet, introspection);
    entered.delete(key);
    measured.set(key, result);
    return result;
  };

  const { depth, aliases } = measureSet(operation.selectionSet, false);
  return { depth, aliases, rootFields: rootResponseNames(operation.selectionSet, fragment, new Set()).size };
}

/** A fragment spread twice at the root adds the same names twice: each is followed once. */
function rootResponseNames(
  set: SelectionSetNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  visited: Set<string>,
  names = new Set<string>(),
): Set<string> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) names.add((selection.alias ?? selection.name).value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootResponseNames(selection.selectionSet, fragment, visited, names);
    else {
      const definition = fragment(selection.name.value);
      if (!definition || visited.has(definition.name.value)) continue;
      visited.add(definition.name.value);
      rootResponseNames(definition.selectionSet, fragment, visited, names);
    }
  }
  return names;
}
