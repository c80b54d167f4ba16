/** What graphql-sso needs of an ORM to hand hooks an EntityManager: MikroORM's `orm.em.fork()`. */
export interface ForkableOrm<TEntityManager = unknown> {
  em: { fork(): TEntityManager };
}

/**
 * `fields` with an `em` that is a fork of `orm.em` made when first read, the same one on every
 * read. Hooks (`createAuthorizationPayload`, `authenticatePayload`) get an EntityManager of
 * their own, and a request whose hooks never query pays for no fork: forking builds an
 * EntityManager and a unit of work, and sets the ORM's configuration twice.
 */
export function withForkedEntityManager<T extends object, TEntityManager>(
  fields: T,
  orm: ForkableOrm<TEntityManager> | undefined,
): T & { em?: TEntityManager } {
  if (orm === undefined) return fields;
  let em: TEntityManager | undefined;
  return Object.defineProperty(fields, 'em', {
    get: () => (em ??= orm.em.fork()),
    enumerable: true,
    configurable: true,
  }) as T & { em?: TEntityManager };
}
