import {
  Kind,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  parse,
  print,
  visit,
  type ASTNode,
  type ConstDirectiveNode,
  type DocumentNode,
} from 'graphql';
import { SsoError } from '../../errors.js';
import { linkedFeatures, type LinkedFeature } from '../../lib/links.js';

/**
 * The authorization features whose directives graphql-sso subgraphs enforce themselves
 * (`applyAuthDirectives`), by identity, with the versions whose semantics they implement. Only
 * these may be hidden from the gateway: hiding a feature nobody enforces would open a hole.
 */
const ENFORCED_BY_SUBGRAPHS: ReadonlyMap<string, readonly string[]> = new Map([
  ['https://specs.apollo.dev/authenticated', ['v0.1']],
  ['https://specs.apollo.dev/requiresScopes', ['v0.1']],
  ['https://specs.apollo.dev/policy', ['v0.1']],
]);

interface Removal {
  links: Set<ASTNode>;
  directive(name: string): boolean;
  type(name: string): boolean;
}

function schemaDirectives(document: DocumentNode): ConstDirectiveNode[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION ? [...(definition.directives ?? [])] : [],
  );
}

/** Per the link spec a feature owns its root directive (`@ns`), every `ns__*` name and what it imported. */
function removal(features: LinkedFeature[]): Removal {
  const prefixes = features.map((f) => `${f.namespace}__`);
  const roots = new Set(features.map((f) => f.namespace));
  const imports = new Set(features.flatMap((f) => [...f.imports.values()]));
  const prefixed = (name: string) => prefixes.some((prefix) => name.startsWith(prefix));
  return {
    links: new Set(features.map((f) => f.directive)),
    directive: (name) => roots.has(name) || prefixed(name) || imports.has(`@${name}`),
    type: (name) => prefixed(name) || imports.has(name),
  };
}

function refusals(features: LinkedFeature[]): string[] {
  return features
    .filter((f) => f.purpose === 'SECURITY' && !ENFORCED_BY_SUBGRAPHS.get(f.identity)?.includes(f.version ?? ''))
    .map((f) => {
      const versions = ENFORCED_BY_SUBGRAPHS.get(f.identity);
      return versions ? `${f.url} (only ${versions.join(', ')} is enforced by graphql-sso subgraphs)` : f.url;
    });
}

function strip(document: DocumentNode, remove: Removal): { document: DocumentNode; dangling: Set<string> } {
  const dangling = new Set<string>();
  const result = visit(document, {
    enter(node) {
      switch (node.kind) {
        case Kind.DIRECTIVE_DEFINITION:
          return remove.directive(node.name.value) ? null : undefined;
        case Kind.DIRECTIVE:
          return remove.links.has(node) || remove.directive(node.name.value) ? null : undefined;
        case Kind.NAMED_TYPE:
          // Only reached inside definitions that stay: a removed definition's subtree is skipped.
          if (remove.type(node.name.value)) dangling.add(node.name.value);
          return undefined;
        default:
          if ((isTypeDefinitionNode(node) || isTypeExtensionNode(node)) && remove.type(node.name.value)) return null;
          return undefined;
      }
    },
    leave(node) {
      // `extend schema` that only carried the removed `@link`s would no longer parse.
      if (node.kind === Kind.SCHEMA_EXTENSION && !node.directives?.length && !node.operationTypes?.length) return null;
      return undefined;
    },
  });
  return { document: result, dangling };
}

/**
 * A composed supergraph SDL that `@apollo/gateway` accepts. Composition marks the Federation 2
 * authorization features `@link(..., for: SECURITY)`, and the gateway — which implements none of
 * them — refuses to serve a supergraph with a SECURITY feature it does not know, because it could
 * not enforce it. graphql-sso subgraphs enforce `@authenticated`, `@requiresScopes` and `@policy`
 * themselves, so for them the refusal protects nothing: this removes those `@link`s (whatever
 * their `for:`), their directive definitions and applications, and their types
 * (`requiresScopes__Scope`, `policy__Policy`); everything else is kept. A supergraph that links
 * none of them is returned unchanged.
 *
 * Keep the full supergraph for Apollo Router, which enforces the directives itself.
 *
 * Throws `SsoError` `INVALID_SETTINGS` when the supergraph links another SECURITY feature (or
 * another version of these), naming it: that one nobody would enforce, so it is not hidden.
 */
export function supergraphForGateway(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  const features = linkedFeatures(schemaDirectives(document));
  const refused = refusals(features);
  if (refused.length > 0) {
    throw new SsoError(
      'INVALID_SETTINGS',
      `The supergraph links SECURITY features that @apollo/gateway cannot enforce and graphql-sso does not strip: ${refused.join('; ')}. ` +
        'Serve it with Apollo Router, or remove the feature from the subgraphs.',
    );
  }
  const enforced = features.filter((f) => ENFORCED_BY_SUBGRAPHS.get(f.identity)?.includes(f.version ?? ''));
  if (enforced.length === 0) return supergraphSdl;
  const { document: stripped, dangling } = strip(document, removal(enforced));
  if (dangling.size > 0) {
    throw new SsoError(
      'INVALID_SETTINGS',
      `The supergraph uses ${[...dangling].join(', ')} outside the authorization directives; they cannot be removed for the gateway.`,
    );
  }
  return print(stripped);
}
