import type { IncomingHttpHeaders } from 'node:http';

/** What a browser posts cross-origin without a CORS preflight (and no type at all, as a typeless Blob is sent). */
const SIMPLE_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

function refererOrigin(referer: string | undefined): string | undefined {
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Why a POST is refused as cross-site request forgery, in Django's words, or `null`. Only a body a
 * browser sends cross-origin without asking first (a form, plain text, no type) is checked: its
 * `Origin` (else its `Referer`'s origin) must be the service's own (its `Host`) or one of
 * `trusted`. A request with neither header comes from no browser page and passes, as a JSON post
 * does, which a browser sends cross-origin only after a CORS preflight.
 */
export function csrfRefusal(headers: IncomingHttpHeaders, trusted: readonly string[]): string | null {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!SIMPLE_TYPES.has(type)) return null;
  const origin = headers.origin ?? refererOrigin(headers.referer);
  if (origin === undefined || trusted.includes(origin) || sameHost(origin, headers.host)) return null;
  return `CSRF Failed: Origin checking failed - ${origin} does not match any trusted origins.`;
}
