import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestInfo } from '../../auth/request-info.js';
import { AuthenticationError } from '../../errors.js';
import type { IdentityServices } from '../../identity/services.js';
import { issueSessionToken } from '../../identity/token-issuer.js';
import { INVALID_CREDENTIALS_MESSAGE } from '../../identity/user-service.js';
import { checkMethod, DrfResponse, fieldRequired, readFields, serveView } from './lib/drf.js';

const text = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/**
 * `POST /session/`: django-rest-framework-sso's `obtain_session_token`. `{"username", "password",
 * "client_id"?}` gives `{"token"}`; wrong credentials give 400
 * `{"non_field_errors": ["Unable to log in with provided credentials."]}`, as DRF's serializer does.
 */
export function obtainSessionTokenView(services: IdentityServices, options: { bodyLimit: number }) {
  return (req: IncomingMessage, res: ServerResponse) =>
    serveView(res, services.settings.authenticateHeader, async () => {
      if (checkMethod(req) === 'options') return null;
      const fields = await readFields(req, options.bodyLimit);
      const username = text(fields.username);
      const password = text(fields.password);
      if (!username) throw fieldRequired('username');
      if (!password) throw fieldRequired('password');
      const clientId = fields.client_id === undefined || fields.client_id === null ? '' : text(fields.client_id);
      if (clientId === undefined) throw new DrfResponse(400, { client_id: ['Not a valid string.'] });
      try {
        const token = await issueSessionToken(services, { username, password, clientId, request: requestInfo(req, services.settings.trustProxy) });
        return { token };
      } catch (error) {
        if (error instanceof AuthenticationError && error.code === 'INVALID_CREDENTIALS') {
          throw new DrfResponse(400, { non_field_errors: [INVALID_CREDENTIALS_MESSAGE] });
        }
        throw error;
      }
    });
}
