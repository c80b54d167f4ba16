import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { User } from './user.js';

/** A login: the revocable row behind a session token (django-rest-framework-sso's SessionToken). */
@Entity({ tableName: 'session_token' })
@Index({ name: 'session_token_reuse_idx', properties: ['user', 'clientId', 'userAgent'] })
export class SessionToken {
  [OptionalProps]?: 'id' | 'clientId' | 'ipAddress' | 'userAgent' | 'version' | 'lastUsedAt' | 'createdBy' | 'createdAt' | 'revokedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ length: 1000, default: '' })
  clientId: string = '';

  @Property({ type: 'string', length: 45, nullable: true })
  ipAddress: string | null = null;

  @Property({ length: 1000, default: '' })
  userAgent: string = '';

  /** How many times `obtainSessionToken` issued a token for this session (it reuses sessions). */
  @Property({ default: 1 })
  version: number = 1;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Index({ name: 'session_token_created_by_idx' })
  @ManyToOne(() => User, { nullable: true, deleteRule: 'cascade' })
  createdBy: User | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
