import { Args, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SsoSettings } from '../../config/settings.js';
import { AuthenticationError } from '../../errors.js';
import { TOKEN_SESSION, type UnsignedPayload } from '../../jwt/claims.js';
import type { IdentityContext, IdentityServices } from '../services.js';
import { LoginArgs } from './login-args.js';
import { TokenResult } from './types.js';

async function encode({ settings, keys }: IdentityServices, payload: UnsignedPayload): Promise<TokenResult> {
  return { token: await settings.encodeJwtToken(payload, { settings, keys }) };
}

/**
 * The token mutations. A factory, so that the extra arguments of `obtainAuthorizationToken` come
 * from the `authorizationArgs` setting (a user's `@ArgsType()` class) without a resolver of theirs.
 */
export function createTokenResolver(settings: Pick<SsoSettings, 'authorizationArgs'>) {
  @Resolver()
  class TokenResolver {
    @Mutation(() => TokenResult, {
      description: 'Logs in: a long-lived, revocable session token (reuses an active session of the same client).',
    })
    async obtainSessionToken(
      @Args(() => LoginArgs) { username, password, clientId }: LoginArgs,
      @Ctx() { services, request }: IdentityContext,
    ): Promise<TokenResult> {
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

    @Mutation(() => TokenResult, {
      description: 'A short-lived authorization token for other services; requires a session token.',
    })
    async obtainAuthorizationToken(
      @Ctx() { services, auth, user: currentUser, request }: IdentityContext,
      args?: Record<string, unknown>,
    ): Promise<TokenResult> {
      const user = await currentUser;
      if (!auth || !user) {
        throw new AuthenticationError('NOT_AUTHENTICATED', 'A session token is required: log in with obtainSessionToken first.');
      }
      if (auth.token !== TOKEN_SESSION) {
        throw new AuthenticationError(
          'TOKEN_TYPE_INVALID',
          'A session token is required; an authorization token cannot obtain further tokens.',
        );
      }
      const sessionToken = await services.sessions.getActive(auth.sid, user.id);
      const payload = await services.settings.createAuthorizationPayload({
        sessionToken,
        user,
        args: { ...args },
        settings: services.settings,
        em: services.orm.em.fork(),
        request,
      });
      return encode(services, payload);
    }
  }

  if (settings.authorizationArgs) {
    const argsType = settings.authorizationArgs;
    Args(() => argsType)(TokenResolver.prototype, 'obtainAuthorizationToken', 1);
  }
  return TokenResolver;
}
