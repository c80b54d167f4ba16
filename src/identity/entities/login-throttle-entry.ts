import 'reflect-metadata';
import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/postgresql';

/**
 * What the login throttle remembers of one username or one client address (`LoginThrottle`).
 * Read and written with SQL by its PostgreSQL store; the entity describes the table.
 */
@Entity({ tableName: 'login_throttle' })
export class LoginThrottleEntry {
  [OptionalProps]?: 'failures' | 'nextAt';

  /** `username` or `ip`. */
  @PrimaryKey({ length: 16 })
  kind!: string;

  /** The client address, or a SHA-256 digest of the lowercased username (never the name typed). */
  @PrimaryKey({ length: 64 })
  key!: string;

  /** Attempts counted since the entry was last forgotten; a success resets or refunds them. */
  @Property({ default: 0 })
  failures: number = 0;

  /** No attempt past the free ones is let through before this time. */
  @Property({ type: 'datetime', nullable: true })
  nextAt: Date | null = null;

  /** The last counted attempt; an entry older than the window is forgotten (and pruned). */
  @Index({ name: 'login_throttle_updated_at_idx' })
  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
