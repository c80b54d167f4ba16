import { Kind, type ConstDirectiveNode, type ConstValueNode, type GraphQLSchema } from 'graphql';
import type { DirectiveNames } from '../types.js';

const FEDERATION_SPEC = 'https://specs.apollo.dev/federation/';
const CANONICAL: DirectiveNames = { authenticated: 'authenticated', requiresScopes: 'requiresScopes', policy: 'policy' };

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((arg) => arg.name.value === name)?.value;
}

function stringValue(value: ConstValueNode | undefined): string | undefined {
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** `@link(url: "https://specs.apollo.dev/federation/v2.x", ...)` on the schema, if any. */
function federationLink(schema: GraphQLSchema): ConstDirectiveNode | undefined {
  const nodes = [schema.astNode, ...schema.extensionASTNodes];
  for (const node of nodes) {
    for (const directive of node?.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      if (stringValue(argument(directive, 'url'))?.startsWith(FEDERATION_SPEC)) return directive;
    }
  }
  return undefined;
}

/** `import: ["@key", { name: "@authenticated", as: "@auth" }]` as canonical name -> local name. */
function imports(link: ConstDirectiveNode): Map<string, string> {
  const result = new Map<string, string>();
  const list = argument(link, 'import');
  if (list?.kind !== Kind.LIST) return result;
  for (const entry of list.values) {
    if (entry.kind === Kind.STRING) {
      result.set(entry.value, entry.value);
    } else if (entry.kind === Kind.OBJECT) {
      const field = (name: string) => stringValue(entry.fields.find((f) => f.name.value === name)?.value);
      const name = field('name');
      if (name) result.set(name, field('as') ?? name);
    }
  }
  return result;
}

/**
 * The names the authorization directives carry in `schema`, following `@link` naming: an
 * imported directive keeps its (possibly renamed) import name, any other is namespaced
 * (`federation__authenticated`, or `<as>__authenticated` for `@link(as: ...)`). A schema without
 * a federation `@link` (SDL-first with `authDirectiveTypeDefs`) uses the bare names.
 */
export function resolveDirectiveNames(schema: GraphQLSchema, overrides: Partial<DirectiveNames> = {}): DirectiveNames {
  const link = federationLink(schema);
  let names = CANONICAL;
  if (link) {
    const imported = imports(link);
    const namespace = stringValue(argument(link, 'as')) ?? 'federation';
    const local = (canonical: string) => (imported.get(`@${canonical}`) ?? `@${namespace}__${canonical}`).slice(1);
    names = {
      authenticated: local(CANONICAL.authenticated),
      requiresScopes: local(CANONICAL.requiresScopes),
      policy: local(CANONICAL.policy),
    };
  }
  return { ...names, ...overrides };
}
