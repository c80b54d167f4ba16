import { isPromiseLike } from '../lib/promise-like.js';

/** How a user lookup ended: its value, or why it failed. */
export type UserOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * `ctx.user` of `createSsoContext`: a promise of the request's user whose lookup starts when the
 * user is first needed (spreading or passing the context around never triggers it), and whose
 * outcome `peek()` tells without awaiting once it is known. A lookup that answers without a
 * promise (the built-in `authenticatePayload` of a service without sessions reads only the claims)
 * is known at once, so guarded fields need not wait for it: graphql-js then runs them
 * synchronously, without building promises for them. The directives read `peek()` of whatever
 * `getUser` returns when it is a `LazyUser`.
 */
export class LazyUser<T> implements Promise<T> {
  private outcome: UserOutcome<T> | undefined;
  private pending: Promise<T> | undefined;
  private work: (() => T | PromiseLike<T>) | undefined;

  constructor(work: () => T | PromiseLike<T>) {
    this.work = work;
  }

  /** A user known already. */
  static of<T>(value: T): LazyUser<T> {
    const user = new LazyUser<T>(() => value);
    user.start();
    return user;
  }

  /** Starts the lookup if it has not started; its outcome, if known by then. */
  peek(): UserOutcome<T> | undefined {
    this.start();
    return this.outcome;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.settled().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.settled().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.settled().finally(onFinally);
  }

  readonly [Symbol.toStringTag] = 'Promise';

  private start(): void {
    const work = this.work;
    if (work === undefined) return;
    this.work = undefined;
    try {
      const result = work();
      if (!isPromiseLike(result)) {
        this.outcome = { ok: true, value: result };
        return;
      }
      this.pending = Promise.resolve(result).then(
        (value) => {
          this.outcome = { ok: true, value };
          return value;
        },
        (error: unknown) => {
          this.outcome = { ok: false, error };
          throw error;
        },
      );
    } catch (error) {
      this.outcome = { ok: false, error };
    }
  }

  /** A promise made when asked for, so that a known failure is never an unhandled rejection. */
  private settled(): Promise<T> {
    this.start();
    if (this.outcome === undefined) return this.pending!;
    return this.outcome.ok ? Promise.resolve(this.outcome.value) : Promise.reject(this.outcome.error);
  }
}
