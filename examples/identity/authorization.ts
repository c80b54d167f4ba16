import type { EntityManager } from '@mikro-orm/postgresql';
import { ArgsType, Field, ID } from 'type-graphql';
import { createAuthorizationPayload as standardClaims, ForbiddenError, type PayloadInput } from 'graphql-sso';

/** The extra argument of `obtainAuthorizationToken`: which account the token is for. */
@ArgsType()
export class AccountArgs {
  @Field(() => ID)
  account!: string;
}

/** The scope an account's owner gets, which otherapp's `Account.balance` requires. */
export const READ_BALANCE = 'accounts:read-balance';

/**
 * The original's `account` example: a token for one account the user is a member of, with the
 * owner's scopes. Membership lives in the identity service's database (`account_member`).
 */
export async function createAuthorizationPayload(input: PayloadInput<AccountArgs, EntityManager>) {
  const { user, args, em } = input;
  const membership = await em!
    .getConnection()
    .execute<{ role: string }[]>('select role from account_member where account_id = ? and user_id = ?', [args.account, user.id]);
  if (membership.length === 0) throw new ForbiddenError(`You are not a member of account ${args.account}.`);
  return {
    ...standardClaims(input),
    account: args.account,
    scopes: membership[0]!.role === 'owner' ? [READ_BALANCE] : [],
  };
}
