import type { IncomingMessage } from 'node:http';
import type { RequestInfo } from '../config/settings.js';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The client's address and user agent. `X-Forwarded-For` is read only with `trustProxy`, since
 * any client can send it; then its first entry is the client.
 */
export function requestInfo(req: IncomingMessage, trustProxy: boolean): RequestInfo {
  let ip: string | null = req.socket?.remoteAddress ?? null;
  if (trustProxy) {
    const forwarded = firstHeader(req.headers['x-forwarded-for'])?.split(',')[0]?.trim();
    if (forwarded) ip = forwarded;
  }
  if (ip?.startsWith('::ffff:')) ip = ip.slice(7);
  if (ip !== null && ip.length > 45) ip = null;
  return { ip, userAgent: (firstHeader(req.headers['user-agent']) ?? '').slice(0, 1000) };
}
