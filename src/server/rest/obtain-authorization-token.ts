import type { GraphQLSchema } from 'graphql';
import type { IdentityComponents } from '../../identity/components.js';
import { assertSessionToken, issueAuthorizationToken } from '../../identity/token-issuer.js';
import { argumentValues } from './lib/arguments.js';
import { DrfResponse } from './lib/errors.js';
import type { DrfView } from './lib/view.js';

/**
 * `POST /authorize/`: django-rest-framework-sso's `obtain_authorization_token`. With
 * `Authorization: JWT <session token>` and the extra arguments (the `authorizationArgs` ArgsType
 * of `obtainAuthorizationToken`) as fields, e.g. `{"account": "1"}`, it gives 200
 * `{"token": "<authorization token>"}` — GraphQL `obtainAuthorizationToken`. Checked in DRF's
 * order: the token (401 `{"detail"}`, also for an authorization token, which may not mint), then
 * the fields (400 `{"account": ["This field is required."]}`; unknown fields are ignored), then
 * `createAuthorizationPayload` (a `ForbiddenError` is 403 `{"detail"}`).
 */
export function obtainAuthorizationTokenView(services: IdentityComponents, schema: GraphQLSchema): DrfView {
  const args = schema.getMutationType()?.getFields().obtainAuthorizationToken?.args ?? [];
  const post: DrfView['post'] = async ({ auth, user, request }, fields) => {
    assertSessionToken(auth);
    const { values, errors } = argumentValues(fields, args);
    if (Object.keys(errors).length > 0) throw new DrfResponse(400, errors);
    return { token: await issueAuthorizationToken(services, { auth, user: await user, args: values, request }) };
  };
  return {
    path: '/authorize',
    name: 'Obtain Authorization Token',
    description: 'Returns a JSON Web Token that can be used for authenticated requests.',
    post,
  };
}
