import { RequestError } from '../../../errors.js';
import { DrfResponse } from './errors.js';

/** The media types DRF's default parsers (`JSONParser`, `FormParser`, `MultiPartParser`) accept. */
export const PARSED_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A multipart form by the Fetch API's own parser (Node's undici), so that no multipart package is needed. */
async function parseMultipart(body: Buffer, contentType: string): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new RequestError('REQUEST_INVALID', `Multipart form parse error - ${(error as Error).message}`, { cause: error });
  }
  const fields: Record<string, unknown> = {};
  // A file part stays an object: a field expecting text refuses it ("Not a valid string.").
  for (const [name, value] of form) fields[name] = value;
  return fields;
}

/**
 * A body, parsed as DRF's default parsers do (a Fastify content-type parser for every type, read
 * up to `bodyLimit`): JSON — also a body without a content type —, a form or a multipart form (the
 * last value of a repeated name); an empty body is no fields. Refusals in DRF's words: 400
 * `JSON parse error - ...`, 415 for another media type.
 */
export async function parseDrfBody(contentType: string | undefined, body: Buffer): Promise<unknown> {
  const type = mediaType(contentType);
  if (type !== '' && !PARSED_MEDIA_TYPES.includes(type)) {
    throw new RequestError('MEDIA_TYPE_UNSUPPORTED', `Unsupported media type "${type}" in request.`);
  }
  if (body.length === 0) return {};
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (type === 'multipart/form-data') return parseMultipart(body, contentType!);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new RequestError('REQUEST_INVALID', `JSON parse error - ${(error as Error).message}`, { cause: error });
  }
}

/** DRF's name of a JSON value's type, as its serializer says it. */
function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) ? 'int' : 'float';
}

/** The request's fields: the parsed body when it is an object (none without a body), else DRF's 400 `non_field_errors`. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DrfResponse(400, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] });
  }
  return body as Record<string, unknown>;
}
