import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
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
   */
  async verifyCredentials(username: string, password: string): Promise<User> {
    const em = this.orm.em.fork();
    const user = username ? await em.findOne(User, { username }) : null;
    const valid = await verifyPassword(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !valid || !user.isActive) throw new AuthenticationError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
    if (hashRounds(user.passwordHash) !== this.settings.passwordHashRounds) {
      user.passwordHash = await hashPassword(password, this.settings.passwordHashRounds);
      await em.flush();
    }
    return user;
  }

  findByUsername(username: string): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { username });
  }

  /** Sets a new password and revokes every session of the user; returns how many were revoked. */
  async setPassword(userId: string, password: string): Promise<number> {
    if (typeof password !== 'string' || password.length === 0) throw new InputError('Password must not be empty.');
    const passwordHash = await hashPassword(password, this.settings.passwordHashRounds);
    return this.changeAndRevoke(userId, (user) => {
      user.passwordHash = passwordHash;
      return true;
    });
  }

  /** Activates or deactivates a user; deactivation revokes every session of the user. */
  async setActive(userId: string, isActive: boolean): Promise<number> {
    return this.changeAndRevoke(userId, (user) => {
      user.isActive = isActive;
      return !isActive;
    });
  }

  private async changeAndRevoke(userId: string, change: (user: User) => boolean): Promise<number> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        const user = /^[0-9a-f-]{36}$/i.test(userId) ? await em.findOne(User, { id: userId }) : null;
        if (!user) throw new InputError('No such user.', 'NOT_FOUND');
        const revoke = change(user);
        await em.flush();
        if (!revoke) return 0;
        return em.nativeUpdate(SessionToken, { user: userId, revokedAt: null }, { revokedAt: new Date() });
      });
    } finally {
      this.sessionCache?.evictUser(userId);
    }
  }
}
