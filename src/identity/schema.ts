import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { ssoAuthChecker } from '../auth/auth-checker.js';
import type { SsoSettings } from '../config/settings.js';
import { MeResolver } from './graphql/me-resolver.js';
import { createTokenResolver } from './graphql/token-resolver.js';

export interface IdentitySchemaOptions {
  /** More type-graphql resolvers of the application, served beside ours. */
  resolvers?: Function[];
}

/** The identity service's schema (its printed SDL is `schema.graphql`). */
export function buildIdentitySchema(
  settings: Pick<SsoSettings, 'authorizationArgs'>,
  options: IdentitySchemaOptions = {},
): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [createTokenResolver(settings), MeResolver, ...(options.resolvers ?? [])] as NonEmptyArray<
      Function
    >,
    authChecker: ssoAuthChecker,
    validate: false,
  });
}
