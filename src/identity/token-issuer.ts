import type { RequestInfo } from '../config/settings.js';
import { AuthenticationError } from '../errors.js';
import { TOKEN_SESSION, type TokenPayload, type UnsignedPayload } from '../jwt/claims.js';
import type { User } from './entities/user.js';
import type { IdentityServices } from './services.js';

async function encode({ settings, keys }: IdentityServices, payload: UnsignedPayload): Promise<string> {
  return settings.encodeJwtToken(payload, { settings, keys });
}

/**
 * Logs in: checks the credentials, obtains (or reuses) the session and signs a session token.
 * The one implementation behind GraphQL `obtainSessionToken` and REST `POST /session/`.
 */
export async function issueSessionToken(
  services: IdentityServices,
  { username, password, clientId, request }: { username: string; password: string; clientId?: string | null; request: RequestInfo },
): Promise<string> {
  const user = await services.users.verifyCredentials(username, password);
  const sessionToken = await services.sessions.obtain(user, clientId ?? '', request);
  const payload = await services.settings.createSessionPayload({
    sessionToken,
    user,
    args: {},
    settings: services.settings,
    em: services.orm.em.fork(),
    request,
  });
  return encode(services, payload);
}

/**
 * Signs an authorization token for the session of a verified session token; `args` are the extra
 * arguments (`authorizationArgs`). Behind GraphQL `obtainAuthorizationToken` and `POST /authorize/`.
 */
export async function issueAuthorizationToken(
  services: IdentityServices,
  { auth, user, args, request }: { auth: TokenPayload | null; user: User | null; args: Record<string, unknown>; request: RequestInfo },
): Promise<string> {
  if (!auth || !user) {
    throw new AuthenticationError('NOT_AUTHENTICATED', 'A session token is required: log in with obtainSessionToken first.');
  }
  if (auth.token !== TOKEN_SESSION) {
    throw new AuthenticationError('TOKEN_TYPE_INVALID', 'A session token is required; an authorization token cannot obtain further tokens.');
  }
  const sessionToken = await services.sessions.getActive(auth.sid, user.id);
  const payload = await services.settings.createAuthorizationPayload({
    sessionToken,
    user,
    args,
    settings: services.settings,
    em: services.orm.em.fork(),
    request,
  });
  return encode(services, payload);
}
