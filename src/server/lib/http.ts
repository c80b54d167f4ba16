import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { RequestLimits } from '../../config/settings.js';

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Said by every endpoint that refuses a body, GraphQL and REST alike. */
export function bodyTooLargeMessage(maxBodyBytes: number): string {
  return `Request body is larger than ${maxBodyBytes} bytes (setting limits.maxBodyBytes).`;
}

function graphQLError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }, headers);
}

/**
 * Serves one GraphQL request with Apollo Server on a plain `node:http` server: Apollo's own
 * request pipeline (CSRF prevention, batching, error statuses), without a web framework. A body
 * over `limits.maxBodyBytes` is refused 413 unread, a batch over `limits.maxBatchOperations` 400.
 */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<TContext>,
  { limits }: { limits: Pick<RequestLimits, 'maxBodyBytes' | 'maxBatchOperations'> },
): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    let text: string;
    try {
      text = await readBody(req, limits.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return graphQLError(res, 413, bodyTooLargeMessage(limits.maxBodyBytes), { connection: 'close' });
      throw error;
    }
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/json')) {
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        return graphQLError(res, 400, 'Request body is not valid JSON.');
      }
    } else {
      body = text;
    }
    // Apollo Server runs a batch's operations at once: refuse an oversized one before any starts.
    if (Array.isArray(body) && body.length > limits.maxBatchOperations) {
      return graphQLError(
        res,
        400,
        `A batch of ${body.length} operations exceeds the limit of ${limits.maxBatchOperations} (setting limits.maxBatchOperations).`,
      );
    }
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context,
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
