import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SsoMetrics } from './metrics.js';

/**
 * Answers a Prometheus scrape: `GET` (or `HEAD`) gives every metric of `metrics`' registry in the
 * text exposition format; another method 405.
 */
export async function serveMetrics(metrics: SsoMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Method ${req.method} not allowed.\n`);
    return;
  }
  const text = await metrics.metrics();
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
