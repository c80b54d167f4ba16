import * as v from 'valibot';

/**
 * The value schemas settings are built from, each with the message a user reads after
 * `Invalid setting "name": `. Every schema carries its own message, so valibot's generic ones
 * ("Invalid type: Expected ...") never reach a user.
 */

const isPlainObject = (value: unknown): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The guard of `plainObject`, typed as its schema's input. An interface, so that declarations
 * name the schema rather than spell out its input, and the types derived from it keep the
 * settings' doc comments.
 */
export interface PlainObjectGuard<TSchema extends v.GenericSchema> extends v.CustomSchema<
  v.InferInput<TSchema>,
  v.ErrorMessage<v.CustomIssue> | undefined
> {}

/**
 * `schema`, for plain objects only: valibot's object and record schemas take a list as an object
 * (`limits: []` would pass as `{}`). The guard is typed as `schema`'s input, so the config type
 * derived from a schema keeps its shape.
 */
export function plainObject<TSchema extends v.GenericSchema>(
  schema: TSchema,
  message: string,
): v.SchemaWithPipe<readonly [PlainObjectGuard<TSchema>, TSchema]> {
  return v.pipe(v.custom<v.InferInput<TSchema>>(isPlainObject, message), schema);
}

/** A hook: a function (or a class), which the settings keep as given. */
export const hook = <THook>(message = 'must be a function') => v.custom<THook>((value) => typeof value === 'function', message);

export const flag = v.boolean('must be true or false');

const SECONDS = 'must be a number of seconds (0 or more)';
export const seconds = v.pipe(v.number(SECONDS), v.finite(SECONDS), v.minValue(0, SECONDS));

const POSITIVE_SECONDS = 'must be a number of seconds greater than 0';
export const positiveSeconds = v.pipe(v.number(POSITIVE_SECONDS), v.finite(POSITIVE_SECONDS), v.gtValue(0, POSITIVE_SECONDS));

/** A whole number of `unit`, `min` or more (`Number.isSafeInteger`); `note` ends the message's parenthesis. */
export function wholeNumber(unit: string, min: number, note = '') {
  const message = `must be a whole number of ${unit} (${min} or more${note})`;
  return v.pipe(v.number(message), v.safeInteger(message), v.minValue(min, message));
}

const NAME = 'must be a non-empty string';
/** A name or a path: a string with something besides white space. */
export const name = v.pipe(
  v.string(NAME),
  v.check((value) => value.trim().length > 0, NAME),
);

/**
 * Audiences and issuers: a list of names, or one name, which stands for a list of it (as in the
 * original's examples). A bad entry is named by its index (`sessionAudience[1]`).
 */
export const names = v.pipe(
  v.custom<string | string[]>(
    (value) => (typeof value === 'string' && value.length > 0) || Array.isArray(value),
    'must be a list of non-empty strings',
  ),
  v.transform((value) => (typeof value === 'string' ? [value] : value)),
  v.array(v.pipe(v.string(NAME), v.nonEmpty(NAME))),
);

/** A URL of one of `schemes` (`http`, `https`), with something after the `://`. */
export function url(schemes: readonly string[], message: string) {
  const pattern = new RegExp(`^(?:${schemes.join('|')})://.`);
  return v.pipe(v.string(message), v.regex(pattern, message));
}
