import { isPromiseLike } from '../../lib/promise-like.js';

/**
 * `ctx.user` of `createSsoContext`: a promise of the request's user whose lookup starts when the
 * user is first needed (spreading or passing the context around never triggers it), and whose
 * outcome can be read without awaiting once it is known. A lookup that answers without a promise
 * (the built-in `authenticatePayload` of a service without sessions reads only the claims) is
 * known at once, so guarded fields need not wait for it: graphql-js then runs them synchronously,
 * without building promises for them.
 */

export type UserOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const OUTCOME = Symbol('graphql-sso.userOutcome');

interface UserPromise<T> extends Promise<T> {
  /** Starts the lookup if it has not started; its outcome, if known by then. */
  [OUTCOME](): UserOutcome | undefined;
}

/** A user looked up by `work` when first needed; `work` runs once. */
export function lazyUser<T>(work: () => T | PromiseLike<T>): Promise<T> {
  let outcome: UserOutcome | undefined;
  let pending: Promise<T> | undefined;
  const start = () => {
    if (outcome !== undefined || pending !== undefined) return;
    try {
      const result = work();
      if (!isPromiseLike(result)) {
        outcome = { ok: true, value: result };
        return;
      }
      pending = Promise.resolve(result).then(
        (value) => {
          outcome = { ok: true, value };
          return value;
        },
        (error: unknown) => {
          outcome = { ok: false, error };
          throw error;
        },
      );
    } catch (error) {
      outcome = { ok: false, error };
    }
  };
  // A promise made when asked for, so that a known failure is never an unhandled rejection.
  const settled = (): Promise<T> => {
    start();
    if (outcome === undefined) return pending!;
    return outcome.ok ? Promise.resolve(outcome.value as T) : Promise.reject(outcome.error);
  };
  return {
    [OUTCOME]: () => {
      start();
      return outcome;
    },
    then: (onFulfilled, onRejected) => settled().then(onFulfilled, onRejected),
    catch: (onRejected) => settled().catch(onRejected),
    finally: (onFinally) => settled().finally(onFinally),
    [Symbol.toStringTag]: 'Promise',
  } as UserPromise<T>;
}

/** A user known already. */
export function knownUser<T>(value: T): Promise<T> {
  return lazyUser(() => value);
}

/**
 * For a `lazyUser`: starts its lookup if it has not started, and returns the outcome if known by
 * then. `undefined` for anything else, or a lookup still running.
 */
export function userOutcome(user: unknown): UserOutcome | undefined {
  return (user as Partial<UserPromise<unknown>> | null | undefined)?.[OUTCOME]?.();
}
