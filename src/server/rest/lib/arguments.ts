import {
  coerceInputValue,
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
} from 'graphql';
import { addFieldError, type FieldErrors } from './errors.js';

/** DRF's messages for a value its field of the same kind refuses. */
const INVALID: Record<string, string> = {
  Int: 'A valid integer is required.',
  Float: 'A valid number is required.',
  Boolean: 'Must be a valid boolean.',
  String: 'Not a valid string.',
};

// DRF's BooleanField.TRUE_VALUES / FALSE_VALUES (the string ones; 1 and 0 too).
const TRUE = new Set(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1']);
const FALSE = new Set(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0']);
const INTEGER = /^\s*[-+]?\d+(\.0*)?\s*$/;
const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Takes what DRF's fields take and GraphQL's coercion does not: integers, numbers and booleans
 * written as text (as forms send them), and a number where text is expected.
 */
function lenient(value: unknown, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return lenient(value, type.ofType);
  if (isListType(type)) return Array.isArray(value) ? value.map((item) => lenient(item, type.ofType)) : lenient(value, type.ofType);
  if (!isScalarType(type)) return value;
  if (typeof value === 'string') {
    if (type.name === 'Int' && INTEGER.test(value)) return Number.parseInt(value, 10);
    if (type.name === 'Float' && NUMBER.test(value)) return Number(value);
    if (type.name === 'Boolean' && (TRUE.has(value) || FALSE.has(value))) return TRUE.has(value);
  }
  if (typeof value === 'number') {
    if (type.name === 'String') return String(value);
    if (type.name === 'Boolean' && (value === 1 || value === 0)) return value === 1;
  }
  return value;
}

function invalidMessage(value: unknown, type: GraphQLInputType, graphQLMessage: string): string {
  const named = getNamedType(type);
  if (isEnumType(named)) return `"${String(value)}" is not a valid choice.`;
  return INVALID[named.name] ?? graphQLMessage;
}

/**
 * The request's fields as the arguments of a GraphQL field (`obtainAuthorizationToken`'s, from
 * the `authorizationArgs` ArgsType), checked as a DRF serializer checks its fields: every field's
 * errors at once, in DRF's words — missing (`This field is required.`), `null` for a required
 * one, `""` for a required text one (`This field may not be blank.`), a value of the wrong kind.
 * Values are coerced by their GraphQL types; fields that are not arguments are ignored.
 */
export function argumentValues(
  fields: Record<string, unknown>,
  args: readonly GraphQLArgument[],
): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const arg of args) {
    const required = isNonNullType(arg.type);
    const named = getNamedType(arg.type);
    const textual = named.name === 'String' || named.name === 'ID';
    let given = fields[arg.name];
    // A blank value in a form stands for "not given", except where text is expected.
    if (given === '' && !textual && !required) given = undefined;
    if (given === undefined) {
      if (arg.defaultValue !== undefined) values[arg.name] = arg.defaultValue;
      else if (required) addFieldError(errors, arg.name, 'This field is required.');
      continue;
    }
    if (given === null) {
      if (required) addFieldError(errors, arg.name, 'This field may not be null.');
      else values[arg.name] = null;
      continue;
    }
    if (given === '' && required && textual) {
      addFieldError(errors, arg.name, 'This field may not be blank.');
      continue;
    }
    let failed = false;
    const value = coerceInputValue(lenient(given, arg.type), arg.type, (_path, invalid, error) => {
      if (!failed) addFieldError(errors, arg.name, invalidMessage(invalid, arg.type, error.message));
      failed = true;
    });
    if (!failed) values[arg.name] = value;
  }
  return { values, errors };
}
