import type { EntityManager } from '@mikro-orm/postgresql';
import { AuthenticationError, type AuthenticatePayload } from 'graphql-sso';
import { Account, AccountMember, LocalUser } from './entities.js';

/** Accounts and who belongs to them. */
export class AccountService {
  constructor(private readonly em: EntityManager) {}

  findById(id: string): Promise<Account | null> {
    return this.em.findOne(Account, { id });
  }

  /** The accounts the identity-service user `userId` belongs to, by id. */
  async forMember(userId: string): Promise<Account[]> {
    const members = await this.em.find(AccountMember, { userId }, { populate: ['account'], orderBy: { account: { id: 'asc' } } });
    return members.map((member) => member.account.getEntity());
  }

  /** Creates or updates an account and adds members (idempotent: the demo seeds on every start). */
  async save(account: { id: string; name: string; balance: number }, memberIds: string[]): Promise<void> {
    await this.em.upsert(Account, account);
    for (const userId of memberIds) {
      await this.em
        .createQueryBuilder(AccountMember)
        .insert({ account: account.id, userId })
        .onConflict(['account', 'userId'])
        .ignore()
        .execute();
    }
  }
}

/** otherapp's users: one row per (issuer, user id at the issuer). */
export class LocalUserService {
  constructor(private readonly em: EntityManager) {}

  /** Reads first, so a known user costs one query and no write. */
  async getOrCreate(issuer: string, externalId: string, email: string | null): Promise<LocalUser> {
    let user = await this.em.findOne(LocalUser, { issuer, externalId });
    if (!user) {
      // Two first requests of one user may race: the unique key settles it.
      await this.em
        .createQueryBuilder(LocalUser)
        .insert({ issuer, externalId, email })
        .onConflict(['issuer', 'externalId'])
        .ignore()
        .execute();
      user = await this.em.findOneOrFail(LocalUser, { issuer, externalId });
    } else if (user.email !== email) {
      user.email = email;
      await this.em.flush();
    }
    return user;
  }
}

/**
 * otherapp's `authenticatePayload`: the local user of the token's issuer and `uid`, created on
 * first sight. A deactivated local user is refused whatever the token says.
 */
export const getOrCreateLocalUser: AuthenticatePayload<LocalUser> = async (payload, { em }) => {
  if (!em) throw new Error('getOrCreateLocalUser needs a database: pass `orm` to createSsoContext.');
  const email = typeof payload.email === 'string' ? payload.email : null;
  const user = await new LocalUserService(em).getOrCreate(String(payload.iss), String(payload.uid), email);
  if (!user.isActive) throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
  return user;
};
