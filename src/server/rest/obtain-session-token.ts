import { AuthenticationError } from '../../errors.js';
import type { IdentityComponents } from '../../identity/components.js';
import { CLIENT_ID_MAX_LENGTH, issueSessionToken } from '../../identity/token-issuer.js';
import { INVALID_CREDENTIALS_MESSAGE } from '../../identity/user-service.js';
import { charField } from './lib/char-field.js';
import { DrfResponse, type FieldErrors } from './lib/errors.js';
import type { DrfView } from './lib/view.js';

/**
 * `POST /session/`: django-rest-framework-sso's `obtain_session_token`. Its serializer's fields
 * `{"username", "password", "client_id"?}` (JSON or a form) give 200 `{"token": "<session token>"}`
 * — GraphQL `obtainSessionToken`, the same session reused for the same user, client id and user
 * agent. Wrong credentials give 400 `{"non_field_errors": ["Unable to log in with provided
 * credentials."]}`, the same for an unknown user; a field's problem 400 `{"field": ["..."]}`.
 * As for GraphQL (and DRF), a present but invalid `Authorization` header is refused with 401.
 * Unlike the original, the password is taken as sent (DRF trims it); `client_id: null` is no client id.
 */
export function obtainSessionTokenView(services: IdentityComponents): DrfView {
  const post: DrfView['post'] = async ({ request }, fields) => {
    const errors: FieldErrors = {};
    const username = charField(fields, 'username', errors);
    const password = charField(fields, 'password', errors, { trim: false });
    const clientId = charField(fields, 'client_id', errors, {
      required: false,
      allowBlank: true,
      allowNull: true,
      maxLength: CLIENT_ID_MAX_LENGTH,
    });
    if (username === undefined || password === undefined || clientId === undefined) throw new DrfResponse(400, errors);
    try {
      return { token: await issueSessionToken(services, { username, password, clientId, request }) };
    } catch (error) {
      if (error instanceof AuthenticationError && error.code === 'INVALID_CREDENTIALS') {
        throw new DrfResponse(400, { non_field_errors: [INVALID_CREDENTIALS_MESSAGE] });
      }
      throw error;
    }
  };
  return {
    path: '/session',
    name: 'Obtain Session Token',
    description: 'Returns a JSON Web Token that can be used for authenticated requests.',
    post,
  };
}
