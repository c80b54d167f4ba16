import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Ref } from '@mikro-orm/postgresql';

/**
 * otherapp's own record of a user of the identity service, created the first time one of their
 * tokens arrives (the original's "get or create the local user by issuer and user id").
 */
@Entity({ tableName: 'otherapp_user' })
@Unique({ properties: ['issuer', 'externalId'] })
export class LocalUser {
  [OptionalProps]?: 'id' | 'email' | 'isActive' | 'createdAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  /** The `iss` of the tokens. */
  @Property({ length: 255 })
  issuer!: string;

  /** The `uid` claim: the user's id at the issuer. */
  @Property({ length: 255 })
  externalId!: string;

  @Property({ type: 'string', length: 254, nullable: true })
  email: string | null = null;

  @Property({ default: true })
  isActive: boolean = true;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt!: Date;
}

@Entity({ tableName: 'otherapp_account' })
export class Account {
  @PrimaryKey({ length: 64 })
  id!: string;

  @Property({ length: 200 })
  name!: string;

  @Property()
  balance!: number;
}

/** Which identity-service user (by `uid`) belongs to which account. */
@Entity({ tableName: 'otherapp_account_member' })
export class AccountMember {
  @ManyToOne(() => Account, { primary: true, ref: true, deleteRule: 'cascade' })
  account!: Ref<Account>;

  @PrimaryKey({ type: 'uuid' })
  userId!: string;
}

export const otherappEntities = [LocalUser, Account, AccountMember];
