import { GraphQLError, type ValidationRule } from 'graphql';
import type { RequestLimits } from '../../config/settings.js';
import { measureOperation } from './lib/operation-shape.js';

export type OperationLimits = Pick<RequestLimits, 'maxDepth' | 'maxAliases' | 'maxRootFields'>;

/**
 * A GraphQL validation rule refusing an operation deeper than `maxDepth`, with more than
 * `maxAliases` aliases or more than `maxRootFields` root fields (see `measureOperation` for how
 * each is counted). Apollo Server answers its errors HTTP 400 `GRAPHQL_VALIDATION_FAILED`, and
 * caches validated documents: a document is measured once, not once per request.
 *
 * Ours rather than graphql-armor's max-depth and max-aliases: armor either skips `__schema`
 * whole (unbounded `fields { type { fields ... } }` chains pass) or counts `ofType` (the
 * standard introspection query is 15 deep, `__type` with 40 `ofType`s 42), has no root-field
 * limit, reports `Syntax Error: ...` without the setting's name, and its optional dependencies
 * (`@envelop/core` and four more) add 8 packages to every subgraph, past the install budget.
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const shape = measureOperation(operation, (name) => context.getFragment(name));
      const refuse = (message: string) => context.reportError(new GraphQLError(message, { nodes: operation }));
      if (shape.depth > limits.maxDepth) {
        refuse(`Query depth ${shape.depth} exceeds the limit of ${limits.maxDepth} (setting limits.maxDepth).`);
      }
      if (shape.aliases > limits.maxAliases) {
        refuse(`${shape.aliases} aliases exceed the limit of ${limits.maxAliases} (setting limits.maxAliases).`);
      }
      if (shape.rootFields > limits.maxRootFields) {
        refuse(`${shape.rootFields} root fields exceed the limit of ${limits.maxRootFields} (setting limits.maxRootFields).`);
      }
      return false;
    },
  });
}
