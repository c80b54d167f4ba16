import type { RequestInfo } from '../config/settings.js';
import { withForkedEntityManager } from '../auth/lib/forked-entity-manager.js';
import { AuthenticationError, InputError, TooManyRequestsError } from '../errors.js';
import { TOKEN_SESSION, type TokenPayload, type UnsignedPayload } from '../jwt/claims.js';
import { encodeJwtToken } from '../jwt/encode.js';
import { withScopeClaim } from '../jwt/payloads.js';
import { runHook } from '../lib/hooks.js';
import type { IssuedTokenType, LoginOutcome } from '../observability/metrics.js';
import type { User } from './entities/user.js';
import type { IdentityComponents } from './components.js';

/**
 * Signs with the `encodeJwtToken` hook: the built-in one on the signing thread where there is one.
 * The hooks of this file run through `runHook`: what one throws unexpectedly becomes a
 * `HookError`, answered `INTERNAL_SERVER_ERROR` and logged with its cause, while the
 * `ForbiddenError` of a payload hook refusing a token keeps its answer.
 */
async function encode(services: IdentityComponents, payload: UnsignedPayload, type: IssuedTokenType): Promise<string> {
  const { settings, keys, metrics, signingThread } = services;
  const token = await runHook('encodeJwtToken', () =>
    signingThread && settings.encodeJwtToken === encodeJwtToken
      ? signingThread.encode(payload, { settings, keys })
      : settings.encodeJwtToken(payload, { settings, keys }),
  );
  metrics?.tokenIssued(type);
  return token;
}

/** How a failed login is counted: bad input is no attempt; a failure that is not the client's is an `error`. */
function failedLogin(error: unknown): LoginOutcome | null {
  if (error instanceof InputError) return null;
  if (error instanceof TooManyRequestsError) return 'throttled';
  if (error instanceof AuthenticationError && error.code === 'INVALID_CREDENTIALS') return 'invalid_credentials';
  return 'error';
}

interface LoginInput {
  username: string;
  password: string;
  clientId?: string | null;
  request: RequestInfo;
}

/** The longest client id a session records (`session_token.client_id`). */
export const CLIENT_ID_MAX_LENGTH = 1000;

/**
 * Checks a user's password through the login throttle (`loginThrottle`): a throttled attempt is
 * refused (`TooManyRequestsError`) before the password is evaluated. A username the database
 * cannot hold (a NUL character) names no user, and is refused like any unknown user.
 */
function verifyCredentials(services: IdentityComponents, username: string, password: string, request: RequestInfo): Promise<User> {
  const verify = () => services.users.verifyCredentials(username.includes('\0') ? '' : username, password);
  return services.loginThrottle ? services.loginThrottle.attempt({ username, ip: request.ip }, verify) : verify();
}

/**
 * Logs in: checks the credentials, obtains (or reuses) the session and signs a session token.
 * The one implementation behind GraphQL `obtainSessionToken` and REST `POST /session/`.
 * A client id the database cannot hold is bad input, refused before anything is counted. Each
 * attempt is counted by outcome (`metrics.login`); bad input is not an attempt.
 */
export async function issueSessionToken(services: IdentityComponents, login: LoginInput): Promise<string> {
  try {
    const token = await logIn(services, login);
    services.metrics?.login('success');
    return token;
  } catch (error) {
    const outcome = failedLogin(error);
    if (outcome) services.metrics?.login(outcome);
    throw error;
  }
}

async function logIn(services: IdentityComponents, { username, password, clientId, request }: LoginInput): Promise<string> {
  const client = clientId ?? '';
  if (client.length > CLIENT_ID_MAX_LENGTH || client.includes('\0')) {
    throw new InputError(`clientId must be at most ${CLIENT_ID_MAX_LENGTH} characters, without NUL characters.`);
  }
  const user = await verifyCredentials(services, username, password, request);
  return signSessionToken(services, user, client, request);
}

/** Obtains (or reuses) the session of a user whose credentials were checked, and signs its token. */
async function signSessionToken(services: IdentityComponents, user: User, client: string, request: RequestInfo): Promise<string> {
  const sessionToken = await services.sessions.obtain(user, client, request);
  const payload = await runHook('createSessionPayload', () =>
    services.settings.createSessionPayload(
      withForkedEntityManager({ sessionToken, user, args: {}, settings: services.settings, request }, services.orm),
    ),
  );
  return encode(services, payload, 'session');
}

const SESSION_TOKEN_REQUIRED = 'A session token is required: log in with obtainSessionToken first.';

/**
 * Refuses a request that does not present a session token, before anything else is looked at:
 * anonymous (`NOT_AUTHENTICATED`), or an authorization token (`TOKEN_TYPE_INVALID`), which may not
 * mint further tokens.
 */
export function assertSessionToken(auth: TokenPayload | null): asserts auth is TokenPayload {
  if (!auth) throw new AuthenticationError('NOT_AUTHENTICATED', SESSION_TOKEN_REQUIRED);
  if (auth.token !== TOKEN_SESSION) {
    throw new AuthenticationError(
      'TOKEN_TYPE_INVALID',
      'A session token is required; an authorization token cannot obtain further tokens.',
    );
  }
}

/**
 * Signs an authorization token for the session of a verified session token; `args` are the extra
 * arguments (`authorizationArgs`). Behind GraphQL `obtainAuthorizationToken` and `POST /authorize/`.
 */
export async function issueAuthorizationToken(
  services: IdentityComponents,
  { auth, user, args, request }: { auth: TokenPayload | null; user: User | null; args: Record<string, unknown>; request: RequestInfo },
): Promise<string> {
  assertSessionToken(auth);
  if (!user) throw new AuthenticationError('NOT_AUTHENTICATED', SESSION_TOKEN_REQUIRED);
  const sessionToken = await services.sessions.getActive(auth.sid, user.id);
  const payload = await runHook('createAuthorizationPayload', () =>
    services.settings.createAuthorizationPayload(
      withForkedEntityManager({ sessionToken, user, args, settings: services.settings, request }, services.orm),
    ),
  );
  return encode(services, withScopeClaim(payload), 'authorization');
}

/**
 * Changes the password of the user of a session token: every session of the user is revoked,
 * and a new session token for the same client is returned, so the caller stays logged in.
 * The current password is checked through the login throttle, counted per user: failed logins by anyone else never make it wait.
 */
export async function changePassword(
  services: IdentityComponents,
  {
    auth,
    user,
    currentPassword,
    newPassword,
    request,
  }: { auth: TokenPayload | null; user: User | null; currentPassword: string; newPassword: string; request: RequestInfo },
): Promise<string> {
  if (!auth || !user) throw new AuthenticationError('NOT_AUTHENTICATED', 'A session token is required to change the password.');
  if (auth.token !== TOKEN_SESSION) {
    throw new AuthenticationError(
      'TOKEN_TYPE_INVALID',
      'A session token is required to change the password; an authorization token cannot.',
    );
  }
  // The current password is asked again, so a stolen token alone cannot take the account over.
  // Its attempts are counted per user: failed logins of others never make the user wait here.
  let checked: User;
  try {
    const verify = () => services.users.verifyCredentials(user.username, currentPassword);
    checked = await (services.loginThrottle ? services.loginThrottle.attemptCurrentPassword(user.id, verify) : verify());
  } catch (error) {
    if (error instanceof AuthenticationError && error.code === 'INVALID_CREDENTIALS') {
      throw new AuthenticationError('INVALID_CREDENTIALS', 'The current password is not correct.');
    }
    throw error;
  }
  // Only over the credentials just checked: a change that ended the user's sessions meanwhile
  // (an administrator's new password, a deactivation) is not overridden by the old password.
  const { user: changed } = await services.users.replacePassword(user.id, newPassword, { ifCredentialVersion: checked.credentialVersion });
  return signSessionToken(services, changed, typeof auth.cid === 'string' ? auth.cid : '', request);
}
