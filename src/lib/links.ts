import { Kind, type ConstDirectiveNode, type ConstValueNode } from 'graphql';

const LINK_SPEC = 'https://specs.apollo.dev/link/';

/** One `@link` applied to a schema, read from its AST (the link spec: specs.apollo.dev/link/v1.0). */
export interface LinkedFeature {
  /** The `@link` application itself, so it can be removed by identity. */
  directive: ConstDirectiveNode;
  /** The whole `url` argument, e.g. `https://specs.apollo.dev/authenticated/v0.1`. */
  url: string;
  /** The URL without its version, e.g. `https://specs.apollo.dev/authenticated`. */
  identity: string;
  /** The version segment, e.g. `v0.1`; `undefined` when the URL has none. */
  version: string | undefined;
  /** The `for:` argument (`SECURITY`, `EXECUTION`), if any. */
  purpose: string | undefined;
  /** The prefix of the feature's names: `as:` (without `@`), else the name in the URL (`authenticated`). */
  namespace: string;
  /**
   * What `import:` brought in without a prefix, by the name the feature gives it to the local name:
   * `"@key"` -> `@key`; `{ name: "@authenticated", as: "@auth" }` -> `@authenticated` -> `@auth`.
   */
  imports: Map<string, string>;
}

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((arg) => arg.name.value === name)?.value;
}

function stringValue(value: ConstValueNode | undefined): string | undefined {
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function importedNames(directive: ConstDirectiveNode): Map<string, string> {
  const names = new Map<string, string>();
  const list = argument(directive, 'import');
  if (list?.kind !== Kind.LIST) return names;
  for (const entry of list.values) {
    if (entry.kind === Kind.STRING) {
      names.set(entry.value, entry.value);
    } else if (entry.kind === Kind.OBJECT) {
      const field = (name: string) => stringValue(entry.fields.find((f) => f.name.value === name)?.value);
      const name = field('name');
      if (name) names.set(name, field('as') ?? name);
    }
  }
  return names;
}

/** `https://specs.apollo.dev/authenticated/v0.1` -> identity, name and version, per the link spec. */
function parseFeatureUrl(url: string): { identity: string; name: string; version: string | undefined } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const segments = parsed.pathname.split('/').filter(Boolean);
  const last = segments.at(-1);
  const version = last && /^v\d+\.\d+$/.test(last) ? last : undefined;
  if (version) segments.pop();
  const name = segments.at(-1);
  if (!name) return undefined;
  return { identity: `${parsed.origin}/${segments.join('/')}`, name, version };
}

/**
 * The features the schema-level directives `@link` (a subgraph's `extend schema @link(...)`, a
 * supergraph's `schema @link(...)`). The `@link` directive may itself be renamed (the link spec
 * bootstraps itself with `@link(url: ".../link/v1.0", as: ...)`), so its name is read from the
 * application that links the link spec, defaulting to `link`. Legacy `@core` supergraphs (Fed 1)
 * yield nothing: they predate the authorization features.
 */
export function linkedFeatures(schemaDirectives: readonly ConstDirectiveNode[]): LinkedFeature[] {
  const bootstrap = schemaDirectives.find((d) => stringValue(argument(d, 'url'))?.startsWith(LINK_SPEC));
  const linkName = bootstrap?.name.value ?? 'link';
  const features: LinkedFeature[] = [];
  for (const directive of schemaDirectives) {
    if (directive.name.value !== linkName) continue;
    const url = stringValue(argument(directive, 'url'));
    const parsed = url === undefined ? undefined : parseFeatureUrl(url);
    if (url === undefined || parsed === undefined) continue;
    const purpose = argument(directive, 'for');
    features.push({
      directive,
      url,
      identity: parsed.identity,
      version: parsed.version,
      purpose: purpose?.kind === Kind.ENUM ? purpose.value : undefined,
      namespace: stringValue(argument(directive, 'as'))?.replace(/^@/, '') ?? parsed.name,
      imports: importedNames(directive),
    });
  }
  return features;
}
