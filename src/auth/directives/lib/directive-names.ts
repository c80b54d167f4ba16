import type { GraphQLSchema } from 'graphql';
import { linkedFeatures } from '../../../lib/links.js';
import type { DirectiveNames } from '../types.js';

const FEDERATION = 'https://specs.apollo.dev/federation';
const CANONICAL: DirectiveNames = { authenticated: 'authenticated', requiresScopes: 'requiresScopes', policy: 'policy' };

/**
 * The names the authorization directives carry in `schema`, following `@link` naming: an
 * imported directive keeps its (possibly renamed) import name, any other is namespaced
 * (`federation__authenticated`, or `<as>__authenticated` for `@link(as: ...)`). A schema without
 * a federation `@link` (SDL-first with `authDirectiveTypeDefs`) uses the bare names.
 */
export function resolveDirectiveNames(schema: GraphQLSchema, overrides: Partial<DirectiveNames> = {}): DirectiveNames {
  const directives = [schema.astNode, ...schema.extensionASTNodes].flatMap((node) => node?.directives ?? []);
  const federation = linkedFeatures(directives).find((feature) => feature.identity === FEDERATION);
  let names = CANONICAL;
  if (federation) {
    const local = (canonical: string) => (federation.imports.get(`@${canonical}`) ?? `@${federation.namespace}__${canonical}`).slice(1);
    names = {
      authenticated: local(CANONICAL.authenticated),
      requiresScopes: local(CANONICAL.requiresScopes),
      policy: local(CANONICAL.policy),
    };
  }
  return { ...names, ...overrides };
}
