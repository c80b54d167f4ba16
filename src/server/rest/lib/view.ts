import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityContext, IdentityComponents } from '../../../identity/components.js';
import { serverErrorLog } from '../../../lib/hooks.js';
import { requestErrorOf } from '../../http/request-errors.js';
import { csrfRefusal } from './csrf.js';
import { DrfResponse, drfAnswer } from './errors.js';
import { fieldsOf, parseDrfBody, PARSED_MEDIA_TYPES } from './request.js';

/** What the REST views of the identity service are built with. */
export interface RestViewOptions {
  services: IdentityComponents;
  /** The identity service's context function: the `Authorization` header is verified as for GraphQL. */
  context: (req: IncomingMessage) => Promise<IdentityContext>;
}

/** A view's POST: the request's context and fields in, the 200 answer's body out; refusals are thrown. */
export type PostHandler = (context: IdentityContext, fields: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** One DRF API view: where it is served, its name and docstring (which its OPTIONS answer shows), its POST. */
export interface DrfView {
  path: string;
  name: string;
  description: string;
  post: PostHandler;
}

const ALLOW = 'POST, OPTIONS';

function send(reply: FastifyReply, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return (
    reply
      .code(status)
      // Tokens, and refusals of them: nothing a browser, a proxy or a CDN may keep.
      .headers({ ...headers, allow: ALLOW, 'cache-control': 'no-store' })
      .send(body)
  );
}

/**
 * Serves POST-only DRF API views, each at its path with or without the trailing slash. In DRF's
 * order: a method other than POST and OPTIONS is 405 `{"detail": "Method \"GET\" not allowed."}`;
 * a POST's `Authorization` header is verified first (401 before the body is read), then its body
 * is parsed (`parseDrfBody`) and the view runs; OPTIONS answers DRF's metadata (without the
 * `actions` of its browsable API). Every answer carries `Allow`, as DRF's do. Errors are answered
 * by `drfAnswer`; a server error is answered 500 `{"detail": "A server error occurred."}`, its
 * message never shown, and logged (for a hook that failed, its cause and the hook's name) with
 * method and path, never a body or a header — except the context's, which logs its own.
 */
export function drfViews(views: DrfView[], { services, context }: RestViewOptions) {
  const scheme = services.settings.authenticateHeader;
  const contexts = new WeakMap<FastifyRequest, IdentityContext>();
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer) =>
      parseDrfBody(request.headers['content-type'], body),
    );
    scope.setErrorHandler((error, request, reply) => {
      const answer = drfAnswer(requestErrorOf(error, services.settings.limits.maxBodyBytes), scheme);
      if (answer.internal) {
        const path = new URL(request.url, 'http://localhost').pathname;
        request.raw.log.error({ ...serverErrorLog(error), method: request.method, path }, 'REST request failed');
      }
      return send(reply, answer.status, answer.body, answer.headers);
    });
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'POST') return;
      const forgery = csrfRefusal(request.headers, services.settings.trustedOrigins);
      if (forgery !== null) return send(reply, 403, { detail: forgery });
      try {
        contexts.set(request, await context(request.raw));
      } catch (error) {
        const answer = drfAnswer(error, scheme);
        return send(reply, answer.status, answer.body, answer.headers);
      }
    });
    for (const { path, name, description, post } of views) {
      scope.all(path, async (request, reply) => {
        if (request.method === 'OPTIONS')
          return send(reply, 200, { name, description, renders: ['application/json'], parses: PARSED_MEDIA_TYPES });
        if (request.method !== 'POST') throw new DrfResponse(405, { detail: `Method "${request.method}" not allowed.` });
        return send(reply, 200, await post(contexts.get(request)!, fieldsOf(request.body)));
      });
    }
  };
}
