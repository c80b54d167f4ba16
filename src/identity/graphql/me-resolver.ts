import 'reflect-metadata';
import { Ctx, Query, Resolver } from 'type-graphql';
import type { IdentityContext } from '../components.js';
import { UserType } from './types.js';

@Resolver()
export class MeResolver {
  @Query(() => UserType, { nullable: true, description: 'The authenticated user; null when anonymous.' })
  me(@Ctx() { user }: IdentityContext): Promise<UserType | null> {
    return user;
  }
}
