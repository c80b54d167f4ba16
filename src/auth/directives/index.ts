export { applyAuthDirectives } from './apply.js';
export { authDirectivesPlugin } from './reject-plugin.js';
export { definePolicies } from './policies.js';
export { defaultExtractScopes, defaultGetClaims, defaultGetUser } from './defaults.js';
export { authDirectiveTypeDefs } from './type-defs.js';
export type {
  AuthDirectivesOptions,
  Claims,
  DirectiveNames,
  Policies,
  Policy,
  PolicyInput,
  RejectOptions,
  ResolveNullOptions,
} from './types.js';
