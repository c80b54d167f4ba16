import { composeServices } from '@apollo/composition';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { CompositionError } from './errors.js';

/** One subgraph as composition sees it. */
export interface SubgraphDefinition {
  /** The subgraph's name in the supergraph (`join__Graph`), e.g. `identity`. */
  name: string;
  /** Where the gateway or router sends its fetches. */
  url: string;
  /** Its SDL as `_service { sdl }` returns it (with its federation `@link`). */
  typeDefs: DocumentNode;
}

export interface ComposeSupergraphOptions {
  /** Composition hints (harmless inconsistencies between subgraphs) are logged here at `info`. */
  logger?: Logger;
}

/**
 * Composes subgraphs with `@apollo/composition`, the composer of Apollo's gateway and `rover`,
 * into the full supergraph SDL: the authorization directives and their SECURITY `@link`s are
 * kept, so the result runs under Apollo Router unchanged. For `@apollo/gateway`, pass it through
 * `supergraphForGateway`.
 *
 * Throws `CompositionError` (`INVALID_SETTINGS`) listing every composition error.
 */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[], options: ComposeSupergraphOptions = {}): string {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) throw new CompositionError(result.errors);
  for (const hint of result.hints) {
    options.logger?.info({ hint: hint.definition.code, coordinate: hint.coordinate }, hint.message);
  }
  return result.supergraphSdl;
}
