import { addFieldError, type FieldErrors } from './errors.js';

export interface CharFieldOptions {
  /** Default true: a missing field is `This field is required.`; otherwise it takes `default`. */
  required?: boolean;
  default?: string;
  /** Default false: `""` is `This field may not be blank.` */
  allowBlank?: boolean;
  /** Default false: `null` is `This field may not be null.`; otherwise it takes `default`. */
  allowNull?: boolean;
  /** Default true: surrounding whitespace is dropped (and whitespace alone is blank). */
  trim?: boolean;
  maxLength?: number;
}

/**
 * One field of DRF's `serializers.CharField`, checked in its order with its messages: missing,
 * blank, null, not text (numbers are taken as text), then the length and NUL-character validators.
 * Returns the value, or `undefined` after recording the field's errors in `errors`.
 */
export function charField(
  fields: Record<string, unknown>,
  name: string,
  errors: FieldErrors,
  options: CharFieldOptions = {},
): string | undefined {
  const { required = true, allowBlank = false, allowNull = false, trim = true, maxLength } = options;
  const value = fields[name];
  if (value === undefined) return required ? addFieldError(errors, name, 'This field is required.') : (options.default ?? '');
  if (value === '' || (trim && typeof value === 'string' && value.trim() === '')) {
    return allowBlank ? '' : addFieldError(errors, name, 'This field may not be blank.');
  }
  if (value === null) return allowNull ? (options.default ?? '') : addFieldError(errors, name, 'This field may not be null.');
  if (typeof value !== 'string' && typeof value !== 'number') return addFieldError(errors, name, 'Not a valid string.');
  const text = trim ? String(value).trim() : String(value);
  const before = errors[name]?.length ?? 0;
  if (maxLength !== undefined && text.length > maxLength)
    addFieldError(errors, name, `Ensure this field has no more than ${maxLength} characters.`);
  if (text.includes('\0')) addFieldError(errors, name, 'Null characters are not allowed.');
  return (errors[name]?.length ?? 0) === before ? text : undefined;
}
