import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from './database-unavailable.js';
import { HookError, SsoError } from '../errors.js';
import { isPromiseLike } from './promise-like.js';

/**
 * What an error thrown by a user's hook stands for. An `SsoError` or a `GraphQLError` was thrown
 * on purpose, and a database that cannot be reached is classified where errors are mapped
 * (`databaseUnavailableError`, 503): those are returned as they are. Anything else is a failure
 * the client must not read, a `HookError` naming `hook`, with the error as its cause.
 */
export function hookFailure(hook: string, error: unknown): unknown {
  if (error instanceof SsoError || error instanceof GraphQLError || isDatabaseUnavailable(error)) return error;
  return new HookError(hook, error);
}

/**
 * Calls a user's hook: what it throws, or the promise it returns rejects with, is passed through
 * `hookFailure`. A hook that answers without a promise is answered without one, so that callers
 * which read a settled value at once (`ctx.user`, guarded fields) still can.
 */
export function runHook<T>(hook: string, call: () => T): T {
  let result: T;
  try {
    result = call();
  } catch (error) {
    throw hookFailure(hook, error);
  }
  if (!isPromiseLike(result)) return result;
  return Promise.resolve(result).then(undefined, (error: unknown) => {
    throw hookFailure(hook, error);
  }) as T;
}

/**
 * The fields to log a server error with: for an `INTERNAL` error (a `HookError`), the cause it
 * hides from clients and the hook's name, since the mask itself says nothing; else the error.
 */
export function serverErrorLog(error: unknown): { err: unknown; hook?: string } {
  if (error instanceof HookError) return { err: error.cause, hook: error.hook };
  if (error instanceof SsoError && error.code === 'INTERNAL' && error.cause !== undefined) return { err: error.cause };
  return { err: error };
}
