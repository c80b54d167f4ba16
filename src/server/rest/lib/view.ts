import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { IdentityContext, IdentityServices } from '../../../identity/services.js';
import { serverErrorLog } from '../../../lib/hooks.js';
import { sendJson } from '../../lib/http.js';
import { DrfResponse, SERVER_ERROR_DETAIL, toDrfResponse } from './errors.js';
import { PARSED_MEDIA_TYPES } from './request.js';

/** What the REST views of the identity service are built with. */
export interface RestViewOptions {
  services: IdentityServices;
  /** The identity service's context function: the `Authorization` header is verified as for GraphQL. */
  context: (args: { req: IncomingMessage; logger: Logger }) => Promise<IdentityContext>;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
}

/** Serves one request; `logger` is the request's (it carries its `requestId`). */
export type RestHandler = (req: IncomingMessage, res: ServerResponse, logger: Logger) => Promise<void>;

/** A DRF API view's name and docstring, which its OPTIONS answer shows. */
export interface ViewInfo {
  name: string;
  description: string;
}

const ALLOW = 'POST, OPTIONS';

/**
 * Serves a POST-only DRF API view: POST answers 200 with what `post` returns; OPTIONS answers
 * DRF's metadata (without the `actions` of its browsable API); another method 405
 * `{"detail": "Method \"GET\" not allowed."}`. Every answer carries `Allow`, as DRF's do.
 * Refusals are `DrfResponse`s or our errors (`toDrfResponse`); anything else is logged and
 * answered 500 `{"detail": "A server error occurred."}`, its message never shown; the log gets the
 * error (for a hook that failed, its cause and the hook's name), method and path, never a body or
 * a header.
 */
export function drfView(
  info: ViewInfo,
  { services }: Pick<RestViewOptions, 'services'>,
  post: (req: IncomingMessage, logger: Logger) => Promise<Record<string, unknown>>,
): RestHandler {
  return async (req, res, logger) => {
    const allow = { allow: ALLOW };
    try {
      if (req.method === 'OPTIONS') {
        return sendJson(res, 200, { ...info, renders: ['application/json'], parses: PARSED_MEDIA_TYPES }, allow);
      }
      if (req.method !== 'POST') throw new DrfResponse(405, { detail: `Method "${req.method}" not allowed.` });
      sendJson(res, 200, await post(req, logger), allow);
    } catch (error) {
      const response = toDrfResponse(error, services.settings.authenticateHeader);
      if (response) return sendJson(res, response.status, response.body, { ...allow, ...response.headers });
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      logger.error({ ...serverErrorLog(error), method: req.method, path }, 'REST request failed');
      sendJson(res, 500, { detail: SERVER_ERROR_DETAIL }, allow);
    }
  };
}
