import 'reflect-metadata';
import { Ctx, Query, Resolver } from 'type-graphql';
import type { IdentityContext } from '../components.js';
import { UserType } from './types.js';

@Resolver()
export class MeResolver {
  @Query(() => UserType, { nullable: true, description: 'The authenticated user; null when anonymous.' })
  me(@Ctx() { user }: IdentityContext): UserType | null | Promise<UserType | null> {
    // A user known already (a session checked with the token) is answered without a promise,
    // which spares graphql-js the asynchronous path for the whole selection.
    const known = user.peek();
    return known?.ok ? (known.value as UserType | null) : user;
  }
}
