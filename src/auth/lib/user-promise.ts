/**
 * `ctx.user` of `createSsoContext`: a promise of the request's user whose work starts on its first
 * `then` (spreading or passing the context around never triggers a lookup), and whose outcome,
 * once known, can be read without awaiting. Guarded fields read it so: a field that need not wait
 * stays synchronous, and graphql-js runs a synchronous field without building promises for it.
 */

export type UserOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const OUTCOME = Symbol('graphql-sso.userOutcome');

interface UserPromise<T> extends Promise<T> {
  [OUTCOME]?: UserOutcome;
}

function userPromise<T>(work: () => Promise<T>, known?: UserOutcome): Promise<T> {
  let started: Promise<T> | undefined;
  const start = () =>
    (started ??= work().then(
      (value) => {
        promise[OUTCOME] = { ok: true, value };
        return value;
      },
      (error: unknown) => {
        promise[OUTCOME] = { ok: false, error };
        throw error;
      },
    ));
  const promise = {
    [OUTCOME]: known,
    then: (onFulfilled, onRejected) => start().then(onFulfilled, onRejected),
    catch: (onRejected) => start().catch(onRejected),
    finally: (onFinally) => start().finally(onFinally),
    [Symbol.toStringTag]: 'Promise',
  } as UserPromise<T>;
  return promise;
}

/** A user looked up by `work` when first awaited. */
export function lazyUser<T>(work: () => Promise<T>): Promise<T> {
  return userPromise(work);
}

/** A user known already (no lookup, or one that has run). */
export function knownUser<T>(value: T): Promise<T> {
  return userPromise(() => Promise.resolve(value), { ok: true, value });
}

/** How `promise` settled, if it is one of these and has; `undefined` otherwise. */
export function settledUser(promise: unknown): UserOutcome | undefined {
  return (promise as UserPromise<unknown> | null | undefined)?.[OUTCOME];
}
