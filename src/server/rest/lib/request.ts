import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, bodyTooLargeMessage, readBody } from '../../lib/http.js';
import { DrfResponse } from './errors.js';

/** The media types DRF's default parsers (`JSONParser`, `FormParser`, `MultiPartParser`) accept. */
export const PARSED_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function parseMultipart(text: string, contentType: string): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await new Response(text, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new DrfResponse(400, { detail: `Multipart form parse error - ${(error as Error).message}` });
  }
  const fields: Record<string, unknown> = {};
  // A file part stays an object: a field expecting text refuses it ("Not a valid string.").
  for (const [name, value] of form) fields[name] = value;
  return fields;
}

/**
 * The request's fields, parsed as DRF's default parsers do: a JSON object, a form or a multipart
 * form (the last value of a repeated name). An empty body is no fields; a body without a
 * content type is read as JSON. Refusals in DRF's words: 400 `JSON parse error - ...`,
 * 415 for another media type, 413 beyond `bodyLimit` bytes.
 */
export async function readFields(req: IncomingMessage, bodyLimit: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBody(req, bodyLimit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new DrfResponse(413, { detail: bodyTooLargeMessage(bodyLimit) }, { connection: 'close' });
    throw error;
  }
  const type = mediaType(req);
  if (type !== '' && !PARSED_MEDIA_TYPES.includes(type)) {
    throw new DrfResponse(415, { detail: `Unsupported media type "${type}" in request.` });
  }
  if (text.length === 0) return {};
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type === 'multipart/form-data') return parseMultipart(text, req.headers['content-type']!);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DrfResponse(400, { detail: `JSON parse error - ${(error as Error).message}` });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const got = parsed === null ? 'NoneType' : Array.isArray(parsed) ? 'list' : typeof parsed === 'string' ? 'str' : typeof parsed === 'boolean' ? 'bool' : Number.isInteger(parsed) ? 'int' : 'float';
    throw new DrfResponse(400, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] });
  }
  return parsed as Record<string, unknown>;
}
