import { RequestError } from '../../errors.js';

/** Said by every endpoint that refuses a body, GraphQL and REST alike. */
function bodyTooLargeMessage(maxBodyBytes: number): string {
  return `Request body is larger than ${maxBodyBytes} bytes (setting limits.maxBodyBytes).`;
}

/**
 * Fastify's refusals of a request, in our words: a body over `bodyLimit` becomes `REQUEST_TOO_LARGE`
 * naming the setting (Fastify has stopped reading it and closes the connection), a JSON body its
 * parser refused `REQUEST_INVALID`, and so is a Host header no URL can hold. Anything else is
 * returned as it is, for `normalizeError`.
 */
export function requestErrorOf(error: unknown, maxBodyBytes: number): unknown {
  const { code } = (error ?? {}) as { code?: unknown };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new RequestError('REQUEST_TOO_LARGE', bodyTooLargeMessage(maxBodyBytes), { cause: error });
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return new RequestError('REQUEST_INVALID', 'Request body is not valid JSON.', { cause: error });
  // The Apollo integration builds the request's URL on its Host header: one no URL can hold is
  // the client's error, not a 500.
  if (code === 'ERR_INVALID_URL') return new RequestError('REQUEST_INVALID', 'Invalid Host header.', { cause: error });
  return error;
}
