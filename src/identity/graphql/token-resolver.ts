import { Arg, Args, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SsoSettings } from '../../config/settings.js';
import type { IdentityContext } from '../components.js';
import { changePassword, issueAuthorizationToken, issueSessionToken } from '../token-issuer.js';
import { LoginArgs } from './login-args.js';
import { TokenResult } from './types.js';

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
      return { token: await issueSessionToken(services, { username, password, clientId, request }) };
    }

    @Mutation(() => TokenResult, {
      description: 'A short-lived authorization token for other services; requires a session token.',
    })
    async obtainAuthorizationToken(
      @Ctx() { services, auth, user, request }: IdentityContext,
      args?: Record<string, unknown>,
    ): Promise<TokenResult> {
      return { token: await issueAuthorizationToken(services, { auth, user: await user, args: { ...args }, request }) };
    }

    @Mutation(() => TokenResult, {
      description:
        'Changes the password (the current one is required): revokes every session of the user and returns a new session token for this client.',
    })
    async changePassword(
      @Arg('currentPassword') currentPassword: string,
      @Arg('newPassword') newPassword: string,
      @Ctx() { services, auth, user, request }: IdentityContext,
    ): Promise<TokenResult> {
      return { token: await changePassword(services, { auth, user: await user, currentPassword, newPassword, request }) };
    }
  }

  if (settings.authorizationArgs) {
    const argsType = settings.authorizationArgs;
    Args(() => argsType)(TokenResolver.prototype, 'obtainAuthorizationToken', 1);
  }
  return TokenResolver;
}
