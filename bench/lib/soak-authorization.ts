import { createAuthorizationPayload as standardPayload, type PayloadInput, type UnsignedPayload } from '../../src/index.js';
import { SCOPE } from './subgraph-schema.js';

/**
 * The soak's `createAuthorizationPayload`, named in the identity process's JSON config: the
 * standard claims plus what the bench subgraph's `{ account(id: "1") { name balance } }` checks
 * (`account` for the `account-member` policy, the scope for `balance`).
 */
export function createAuthorizationPayload(input: PayloadInput<unknown>): UnsignedPayload {
  return { ...standardPayload(input), account: '1', scopes: [SCOPE] };
}
