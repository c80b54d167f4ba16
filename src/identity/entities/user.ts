import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/postgresql';

@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'id' | 'email' | 'isActive' | 'credentialVersion' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ length: 150, unique: true })
  username!: string;

  @Property({ type: 'string', length: 254, nullable: true })
  email: string | null = null;

  @Property({ type: 'text', hidden: true, lazy: false })
  passwordHash!: string;

  @Property({ default: true })
  isActive: boolean = true;

  /**
   * Bumped by every change that ends the user's sessions (password, deactivation, revoking all);
   * a login creates its session only if it is still the one read with the password.
   */
  @Property({ default: 1 })
  credentialVersion: number = 1;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
