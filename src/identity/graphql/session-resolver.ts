import 'reflect-metadata';
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { AuthenticationError } from '../../errors.js';
import { SCOPES, TOKEN_SESSION } from '../../jwt/claims.js';
import type { SessionToken } from '../entities/session-token.js';
import type { IdentityContext } from '../components.js';
import type { SessionActor } from '../session-service.js';
import { SessionType } from './types.js';

/**
 * The caller, who must present a **session** token: authorization tokens are handed to every
 * subgraph, so one that leaked there must not list, revoke or end sessions (`TOKEN_TYPE_INVALID`,
 * as for `obtainAuthorizationToken` and `changePassword`). An administrator is a session token whose
 * `scopes` hold `adminScope` (put there by `createSessionPayload`).
 */
function actorOf({ auth, services }: IdentityContext): SessionActor {
  if (auth!.token !== TOKEN_SESSION) {
    throw new AuthenticationError('TOKEN_TYPE_INVALID', 'A session token is required to manage sessions; an authorization token cannot.');
  }
  const { adminScope } = services.settings;
  const scopes = Array.isArray(auth![SCOPES]) ? (auth![SCOPES] as unknown[]) : [];
  return { userId: String(auth!.uid), sessionId: String(auth!.sid), admin: adminScope !== null && scopes.includes(adminScope) };
}

function toSessionType(session: SessionToken, actor: SessionActor): SessionType {
  return {
    id: session.id,
    clientId: session.clientId,
    ipAddress: session.ipAddress,
    userAgent: session.userAgent,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    current: session.id === actor.sessionId,
  };
}

/** Listing and ending sessions: one's own, or anyone's with the `adminScope`. */
@Resolver()
export class SessionResolver {
  @Authorized()
  @Query(() => [SessionType], { description: 'The active sessions of the authenticated user, most recently used first.' })
  async mySessions(@Ctx() ctx: IdentityContext): Promise<SessionType[]> {
    const actor = actorOf(ctx);
    return (await ctx.services.sessions.listFor(actor)).map((session) => toSessionType(session, actor));
  }

  @Authorized()
  @Query(() => [SessionType], { description: "A user's active sessions; requires the admin scope unless they are one's own." })
  async sessions(@Arg('userId', () => ID) userId: string, @Ctx() ctx: IdentityContext): Promise<SessionType[]> {
    const actor = actorOf(ctx);
    return (await ctx.services.sessions.listFor(actor, userId)).map((session) => toSessionType(session, actor));
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Revokes a session (no id: the current one, i.e. logs out); false when it was already revoked.',
  })
  revokeSession(@Arg('id', () => ID, { nullable: true }) id: string | null, @Ctx() ctx: IdentityContext): Promise<boolean> {
    const actor = actorOf(ctx);
    return ctx.services.sessions.revoke(actor, id ?? actor.sessionId);
  }

  @Authorized()
  @Mutation(() => Int, {
    description: 'Revokes every active session of the authenticated user (or, with the admin scope, of userId); returns how many.',
  })
  revokeAllSessions(
    @Arg('exceptCurrent', () => Boolean, { nullable: true, defaultValue: false }) exceptCurrent: boolean | null,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
    @Ctx() ctx: IdentityContext,
  ): Promise<number> {
    const actor = actorOf(ctx);
    return ctx.services.sessions.revokeAll(actor, { userId: userId ?? undefined, except: exceptCurrent ? actor.sessionId : undefined });
  }
}
