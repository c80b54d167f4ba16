import type { GraphQLSchema } from 'graphql';
import type { Enforcer } from './enforcer.js';
import type { RequirementIndex } from './requirements.js';

/** Where `applyAuthDirectives` leaves what `authDirectivesPlugin` needs, on the schema itself. */
export const STATE_KEY = 'graphqlSsoAuthDirectives';

export interface AuthDirectivesState {
  mode: 'resolve-null' | 'reject';
  scheme: string;
  index: RequirementIndex;
  enforcer: Enforcer;
}

export function readState(schema: GraphQLSchema): AuthDirectivesState | undefined {
  return schema.extensions[STATE_KEY] as AuthDirectivesState | undefined;
}
