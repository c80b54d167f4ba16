/** Where the federation authorization directives may be applied. */
const LOCATIONS = 'FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM';

/**
 * The directive definitions, for SDL-first schemas that do not `@link` the federation
 * specification (a federation subgraph gets them from `buildSubgraphSchema`). Same shapes and
 * scalar names as federation v2.6, so the SDL stays valid when it later moves to `@link`.
 */
export const authDirectiveTypeDefs = /* GraphQL */ `
scalar federation__Scope
scalar federation__Policy
directive @authenticated on ${LOCATIONS}
directive @requiresScopes(scopes: [[federation__Scope!]!]!) on ${LOCATIONS}
directive @policy(policies: [[federation__Policy!]!]!) on ${LOCATIONS}
`;
