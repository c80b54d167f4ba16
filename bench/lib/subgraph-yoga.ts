import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createUnauthenticatedError,
  defaultProtectSingleValidateFn,
  useGenericAuth,
  type ValidateUserFnParams,
} from '@envelop/generic-auth';
import { createInlineSigningKeyProvider, extractFromHeader, useJWT, type JWTExtendContextFields } from '@graphql-yoga/plugin-jwt';
import { getArgumentValues } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { isAccountMember, POLICY, subgraphSchema, type ServerKeys } from './subgraph-schema.js';

type Claims = Record<string, unknown>;
type Context = { jwt?: JWTExtendContextFields };

/** The policies `@policy` may name; like graphql-sso's, they see the claims and the field's arguments. */
const POLICIES: Record<string, (claims: Claims, args: Record<string, unknown>) => boolean> = {
  [POLICY]: isAccountMember,
};

/**
 * generic-auth's own checks (`@authenticated`, `@requiresScopes` as OR of AND-lists), then the
 * `@policy` sets, evaluated against the field's arguments: generic-auth's built-in policy check
 * only compares names with a per-user list, which cannot express "the token's account is the one
 * asked for", so its `validateUser` hook is where such a policy goes.
 */
function validateUser(params: ValidateUserFnParams<Claims>) {
  const denial = defaultProtectSingleValidateFn({ ...params, fieldPolicies: undefined, typePolicies: undefined });
  if (denial) return denial;
  const sets = params.fieldPolicies;
  if (!sets?.length) return undefined;
  if (params.user == null) return createUnauthenticatedError({ fieldNode: params.fieldNode, path: params.path });
  const args = getArgumentValues(params.field, params.fieldNode, params.executionArgs.variableValues ?? undefined);
  const holds = sets.some((set) => set.every((name) => POLICIES[name]?.(params.user, args) === true));
  if (holds) return undefined;
  return createUnauthenticatedError({
    fieldNode: params.fieldNode,
    path: params.path,
    message: `Policy ${JSON.stringify(sets)} not met`,
    statusCode: 403,
  });
}

/**
 * (D) GraphQL Yoga serving the same subgraph schema, with `@graphql-yoga/plugin-jwt` verifying
 * the same RS256 token with the same public key (PEM) and `@envelop/generic-auth` enforcing the
 * schema's `@requiresScopes` and `@policy`. Returns the request listener.
 */
export function startYoga(keys: ServerKeys) {
  const pem = readFileSync(join(keys.keyStoreRoot, keys.publicKeyFile), 'utf8');
  return createYoga<Record<string, unknown>, Context>({
    schema: subgraphSchema(),
    graphqlEndpoint: '/',
    logging: false,
    landingPage: false,
    plugins: [
      useJWT({
        signingKeyProviders: [createInlineSigningKeyProvider(pem)],
        tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'JWT' })],
        tokenVerification: { algorithms: ['RS256'], audience: keys.audience, issuer: keys.issuer },
        reject: { missingToken: false, invalidToken: true },
        extendContext: true,
      }),
      useGenericAuth<Claims, Context>({
        mode: 'protect-granular',
        resolveUserFn: (context) => (context.jwt?.payload as Claims | undefined) ?? null,
        extractScopes: (user) => (user != null && Array.isArray(user.scopes) ? (user.scopes as string[]) : []),
        validateUser,
      }),
    ],
  });
}
