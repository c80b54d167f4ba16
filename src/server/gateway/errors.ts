import type { GraphQLError } from 'graphql';
import { SsoError } from '../../errors.js';

function describe(error: GraphQLError): string {
  const code = error.extensions?.code;
  return `  - ${typeof code === 'string' ? `[${code}] ` : ''}${error.message}`;
}

/**
 * The subgraphs do not compose into a supergraph. One error for all of composition's errors, so
 * a start-up failure shows every conflict at once; `errors` keeps them for programs.
 */
export class CompositionError extends SsoError {
  readonly errors: readonly GraphQLError[];

  constructor(errors: readonly GraphQLError[]) {
    const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
    super('INVALID_SETTINGS', `The subgraphs do not compose into a supergraph (${count}):\n${errors.map(describe).join('\n')}`);
    this.errors = errors;
  }
}
