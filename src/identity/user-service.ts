import { LockMode, UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import type { SsoSettings } from '../config/settings.js';
import { AuthenticationError, InputError } from '../errors.js';
import { SessionToken } from './entities/session-token.js';
import { User } from './entities/user.js';
import { hashPassword, hashRounds, unmatchableHash, verifyPassword } from './passwords.js';
import type { SessionCache } from './session-cache.js';
import { isUuid } from './lib/uuid.js';

export interface CreateUserInput {
  username: string;
  email?: string | null;
  password: string;
  isActive?: boolean;
}

const USERNAME = /^[\w.@+-]{1,150}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export const INVALID_CREDENTIALS_MESSAGE = 'Unable to log in with provided credentials.';

/** Queries and changes of the `User` aggregate. */
export class UserService {
  /** A hash to compare against when the user is unknown, so that both cases cost one bcrypt run. */
  private readonly dummyHash: string;

  constructor(
    private readonly orm: MikroORM,
    private readonly settings: SsoSettings,
    /** Where this process remembers sessions; changes that end them evict it at once. */
    private readonly sessionCache?: SessionCache,
  ) {
    this.dummyHash = unmatchableHash(settings.passwordHashRounds);
  }

  async create(input: CreateUserInput): Promise<User> {
    const username = input.username?.trim() ?? '';
    if (!USERNAME.test(username)) {
      throw new InputError('Username must be 1 to 150 characters: letters, digits and @ . + - _ only.');
    }
    const email = input.email?.trim() || null;
    if (email !== null && (email.length > 254 || !EMAIL.test(email))) throw new InputError('Email address is not valid.');
    if (typeof input.password !== 'string' || input.password.length === 0) throw new InputError('Password must not be empty.');
    const em = this.orm.em.fork();
    const user = em.create(User, {
      username,
      email,
      passwordHash: await hashPassword(input.password, this.settings.passwordHashRounds),
      isActive: input.isActive ?? true,
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new InputError(`A user named "${username}" already exists.`, 'CONFLICT');
      }
      throw error;
    }
    return user;
  }

  findById(id: string | number): Promise<User | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(User, { id });
  }

  /**
   * The user these credentials belong to. Unknown user, wrong password and inactive user fail
   * alike, with one bcrypt comparison each, so neither the message nor the time tells them apart.
   * The user is read (with its `credentialVersion`) before the password is compared: a session
   * created from it must still find that version (`SessionService.obtain`).
   */
  async verifyCredentials(username: string, password: string): Promise<User> {
    const em = this.orm.em.fork();
    const user = username ? await em.findOne(User, { username }) : null;
    const valid = await verifyPassword(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !valid || !user.isActive) throw new AuthenticationError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
    if (hashRounds(user.passwordHash) !== this.settings.passwordHashRounds) {
      // Only over the hash that was compared: a password changed meanwhile is not put back.
      const passwordHash = await hashPassword(password, this.settings.passwordHashRounds);
      await em.nativeUpdate(
        User,
        { id: user.id, passwordHash: user.passwordHash, credentialVersion: user.credentialVersion },
        { passwordHash },
      );
    }
    return user;
  }

  findByUsername(username: string): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { username });
  }

  /** Sets a new password and revokes every session of the user; returns how many were revoked. */
  async setPassword(userId: string, password: string): Promise<number> {
    return (await this.replacePassword(userId, password)).revoked;
  }

  /**
   * Sets a new password and revokes every session of the user, in one transaction; returns how
   * many were revoked and the user as changed (its new `credentialVersion`, to create the caller's
   * next session from). With `ifCredentialVersion`, only if no other change ended the user's
   * sessions since that version was read with the current password (else `INVALID_CREDENTIALS`).
   */
  async replacePassword(
    userId: string,
    password: string,
    { ifCredentialVersion }: { ifCredentialVersion?: number } = {},
  ): Promise<{ revoked: number; user: User }> {
    if (typeof password !== 'string' || password.length === 0) throw new InputError('Password must not be empty.');
    const passwordHash = await hashPassword(password, this.settings.passwordHashRounds);
    return this.changeAndRevoke(userId, (user) => {
      if (ifCredentialVersion !== undefined && user.credentialVersion !== ifCredentialVersion) {
        throw new AuthenticationError('INVALID_CREDENTIALS', 'The current password is not correct.');
      }
      user.passwordHash = passwordHash;
      return true;
    });
  }

  /** Activates or deactivates a user; deactivation revokes every session of the user. */
  async setActive(userId: string, isActive: boolean): Promise<number> {
    const { revoked } = await this.changeAndRevoke(userId, (user) => {
      user.isActive = isActive;
      return !isActive;
    });
    return revoked;
  }

  /**
   * Changes the user, its row locked, and, when `change` says so, bumps its `credentialVersion`
   * and revokes its sessions in the same transaction: a login that read the former version
   * cannot create a session afterwards, and one that created it first sees it revoked here.
   */
  private async changeAndRevoke(userId: string, change: (user: User) => boolean): Promise<{ revoked: number; user: User }> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        const user = isUuid(userId) ? await em.findOne(User, { id: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
        if (!user) throw new InputError('No such user.', 'NOT_FOUND');
        const revoke = change(user);
        if (revoke) user.credentialVersion += 1;
        await em.flush();
        if (!revoke) return { revoked: 0, user };
        const revoked = await em.nativeUpdate(SessionToken, { user: userId, revokedAt: null }, { revokedAt: new Date() });
        return { revoked, user };
      });
    } finally {
      this.sessionCache?.evictUser(userId);
    }
  }
}
