import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { toGraphQLError } from '../../../auth/graphql-errors.js';
import { SsoError } from '../../../errors.js';
import { BodyTooLargeError, readBody, sendJson } from '../../lib/http.js';

/** Django REST Framework's answers, in its JSON shapes, for clients of django-rest-framework-sso. */
export class DrfResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export const fieldRequired = (field: string) => new DrfResponse(400, { [field]: ['This field is required.'] });

/** Refuses anything but POST (and answers OPTIONS), as DRF's `APIView` does for these views. */
export function checkMethod(req: IncomingMessage): 'options' | 'post' {
  if (req.method === 'POST') return 'post';
  if (req.method === 'OPTIONS') return 'options';
  throw new DrfResponse(405, { detail: `Method "${req.method}" not allowed.` }, { allow: 'POST, OPTIONS' });
}

/** The request's fields: a JSON object, or a form (`application/x-www-form-urlencoded`), as DRF parses them. */
export async function readFields(req: IncomingMessage, bodyLimit: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBody(req, bodyLimit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new DrfResponse(413, { detail: `Request body is larger than ${bodyLimit} bytes.` });
    throw error;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (text.length === 0) return {};
  if (type === 'application/json' || type === '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DrfResponse(400, { detail: `JSON parse error - ${(error as Error).message}` });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new DrfResponse(400, { non_field_errors: ['Invalid data. Expected a dictionary, but got ' + (Array.isArray(parsed) ? 'list' : typeof parsed) + '.'] });
    }
    return parsed as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  throw new DrfResponse(415, { detail: `Unsupported media type "${type}" in request.` });
}

/** Our errors in DRF's shapes: 401/403 `{"detail"}` (401 with the `WWW-Authenticate` challenge). */
export function toDrfResponse(error: unknown, scheme: string): DrfResponse | null {
  if (error instanceof DrfResponse) return error;
  let graphQLError: GraphQLError | null = null;
  if (error instanceof GraphQLError) graphQLError = error;
  else if (error instanceof SsoError) graphQLError = toGraphQLError(error);
  if (!graphQLError) return null;
  const challenge = { 'www-authenticate': `${scheme} realm="api"` };
  switch (graphQLError.extensions.code) {
    case 'UNAUTHENTICATED':
      return new DrfResponse(401, { detail: graphQLError.message }, challenge);
    case 'FORBIDDEN':
      return new DrfResponse(403, { detail: graphQLError.message });
    case 'BAD_USER_INPUT':
      return new DrfResponse(400, { non_field_errors: [graphQLError.message] });
    case 'SERVICE_UNAVAILABLE':
      return new DrfResponse(503, { detail: graphQLError.message });
    default:
      return null;
  }
}

/** Runs a DRF-style view: its result is `{"token"}` with 200, its refusals DRF's shapes. */
export async function serveView(res: ServerResponse, scheme: string, view: () => Promise<Record<string, unknown> | null>): Promise<void> {
  try {
    const body = await view();
    if (body === null) {
      res.writeHead(200, { allow: 'POST, OPTIONS', 'content-length': 0 });
      res.end();
      return;
    }
    sendJson(res, 200, body);
  } catch (error) {
    const response = toDrfResponse(error, scheme);
    if (!response) throw error;
    sendJson(res, response.status, response.body, response.headers);
  }
}
