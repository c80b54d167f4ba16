import 'reflect-metadata';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import {
  AuthenticationError,
  authenticatePayload,
  createAuthorizationPayload,
  createSessionPayload,
  decodeJwtToken,
  encodeJwtToken,
  ForbiddenError,
  HookError,
} from '../../src/index.js';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/lib/database-unavailable.js';
import { captureLogs, type LogCapture, type LogLine } from '../support/logs.js';
import { LOGIN, startIdentity, type GraphQLResponse, type TestIdentity } from '../support/identity.js';

type Hook = 'createSessionPayload' | 'createAuthorizationPayload' | 'encodeJwtToken' | 'decodeJwtToken' | 'authenticatePayload';

/** What a hook does before its work while a test sets it: throw, or query a table that does not exist. */
const breaks: Partial<Record<Hook, (em?: EntityManager) => unknown>> = {};

/** The text of the error each hook throws unexpectedly; no client may ever read it. */
const causeOf = (hook: Hook) => `${hook} exploded: relation "account_member" does not exist`;
const unexpected = (hook: Hook) => () => {
  throw new Error(causeOf(hook));
};
/** What pg says when the server refuses connections: a database outage, not the hook's fault. */
const outage = () => {
  throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
};
const MISSING_TABLE = /relation "account_member" does not exist/;

const INTERNAL = 'Internal server error.';
const ME = '{ me { username } }';
const MINT = 'mutation { obtainAuthorizationToken { token } }';

function assertMasked(response: { body: unknown }, hook: Hook): void {
  const text = JSON.stringify(response.body);
  assert.ok(!text.includes('account_member') && !text.includes('exploded'), `the cause reached the client: ${text}`);
  assert.ok(!/at .*\.js:\d+/.test(text), `a stack reached the client: ${text}`);
  assert.ok(!text.includes(hook), `the hook's name reached the client: ${text}`);
}

describe('hooks of the identity service that fail unexpectedly', () => {
  let sso: TestIdentity;
  let logs: LogCapture;
  let session: string;

  /** The error lines logged while serving the request whose response this is. */
  const errorLines = (response: { headers: Headers }): LogLine[] => {
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId, 'the response names its request');
    return logs.lines().filter((line) => line.requestId === requestId && line.level >= 50);
  };
  const assertLogged = (response: { headers: Headers }, hook: Hook, cause: string | RegExp, msg: string) => {
    const lines = errorLines(response);
    assert.equal(lines.length, 1, `one error line for the request: ${JSON.stringify(lines)}`);
    const [line] = lines as [LogLine & { err?: { message?: string; stack?: string } }];
    assert.equal(line.hook, hook);
    assert.equal(line.msg, msg);
    if (typeof cause === 'string') assert.ok(line.err?.message?.includes(cause), JSON.stringify(line.err));
    else assert.match(String(line.err?.message), cause);
    assert.ok(line.err?.stack, 'the cause is logged with its stack');
  };

  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${sso.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `JWT ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const login = () => sso.graphql(LOGIN, { variables: { username: 'alice', password: 'alice-password' } });

  before(async () => {
    logs = captureLogs();
    sso = await startIdentity(
      {
        // Synchronous hooks throw; asynchronous ones reject.
        createSessionPayload: (input) => {
          breaks.createSessionPayload?.(input.em as EntityManager);
          return createSessionPayload(input);
        },
        createAuthorizationPayload: async (input) => {
          await breaks.createAuthorizationPayload?.(input.em as EntityManager);
          return createAuthorizationPayload(input);
        },
        encodeJwtToken: (payload, context) => {
          breaks.encodeJwtToken?.();
          return encodeJwtToken(payload, context);
        },
        decodeJwtToken: (token, context) => {
          breaks.decodeJwtToken?.();
          return decodeJwtToken(token, context);
        },
        authenticatePayload: async (payload, context) => {
          await breaks.authenticatePayload?.(context.em as EntityManager);
          return authenticatePayload(payload, context);
        },
      },
      { logger: logs.logger },
    );
    await sso.createUser('alice', 'alice-password');
    session = await sso.login('alice', 'alice-password');
  });
  afterEach(() => {
    for (const hook of Object.keys(breaks) as Hook[]) delete breaks[hook];
  });
  after(() => sso.close());

  describe('over GraphQL, a hook run by a resolver fails its field', () => {
    const cases: [Hook, () => Promise<GraphQLResponse>, string][] = [
      ['createSessionPayload', login, 'obtainSessionToken'],
      ['encodeJwtToken', login, 'obtainSessionToken'],
      ['createAuthorizationPayload', () => sso.graphql(MINT, { token: session }), 'obtainAuthorizationToken'],
    ];
    for (const [hook, run, field] of cases) {
      it(`${hook}: INTERNAL_SERVER_ERROR "Internal server error.", the cause only in the log`, async () => {
        breaks[hook] = unexpected(hook);
        const response = await run();
        assert.equal(response.status, 200);
        assert.equal(response.body.data, null);
        assert.deepEqual(
          response.body.errors?.map((e) => [e.message, e.extensions?.code, e.path]),
          [[INTERNAL, 'INTERNAL_SERVER_ERROR', [field]]],
        );
        assertMasked(response, hook);
        assertLogged(response, hook, causeOf(hook), 'GraphQL resolver failed');
      });

      it(`${hook}: ForbiddenError, AuthenticationError and a GraphQLError keep their codes and messages`, async () => {
        const thrown: [unknown, string, string][] = [
          [new ForbiddenError('You are not a member of account 7.'), 'FORBIDDEN', 'You are not a member of account 7.'],
          [new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.'), 'UNAUTHENTICATED', 'User inactive or deleted.'],
          [new GraphQLError('Teapot.', { extensions: { code: 'TEAPOT' } }), 'TEAPOT', 'Teapot.'],
        ];
        for (const [error, code, message] of thrown) {
          breaks[hook] = () => {
            throw error;
          };
          const response = await run();
          assert.deepEqual(
            response.body.errors?.map((e) => [e.message, e.extensions?.code]),
            [[message, code]],
          );
          assert.equal(errorLines(response).length, 0, 'a refusal is no server error');
        }
      });
    }

    it('createAuthorizationPayload querying a table that does not exist: the database text stays in the log', async () => {
      breaks.createAuthorizationPayload = (em) => em!.getConnection().execute('select role from account_member where user_id = ?', ['1']);
      const response = await sso.graphql(MINT, { token: session });
      assert.deepEqual(
        response.body.errors?.map((e) => [e.message, e.extensions?.code]),
        [[INTERNAL, 'INTERNAL_SERVER_ERROR']],
      );
      assertMasked(response, 'createAuthorizationPayload');
      assertLogged(response, 'createAuthorizationPayload', MISSING_TABLE, 'GraphQL resolver failed');
    });

    it('createAuthorizationPayload while the database is unreachable: SERVICE_UNAVAILABLE, as elsewhere', async () => {
      breaks.createAuthorizationPayload = outage;
      const response = await sso.graphql(MINT, { token: session });
      assert.equal(response.status, 503);
      assert.deepEqual(
        response.body.errors?.map((e) => [e.message, e.extensions?.code]),
        [[DATABASE_UNAVAILABLE_MESSAGE, 'SERVICE_UNAVAILABLE']],
      );
    });
  });

  describe('over GraphQL, a hook run while the request is authenticated refuses the whole request', () => {
    for (const hook of ['authenticatePayload', 'decodeJwtToken'] as const) {
      it(`${hook}: HTTP 500, one INTERNAL_SERVER_ERROR "Internal server error.", the cause only in the log`, async () => {
        breaks[hook] = unexpected(hook);
        const response = await sso.graphql(ME, { token: session });
        assert.equal(response.status, 500);
        assert.equal(response.body.data, undefined);
        assert.deepEqual(
          response.body.errors?.map((e) => [e.message, e.extensions?.code]),
          [[INTERNAL, 'INTERNAL_SERVER_ERROR']],
        );
        assertMasked(response, hook);
        assertLogged(response, hook, causeOf(hook), 'authentication failed unexpectedly');
      });

      it(`${hook}: ForbiddenError and AuthenticationError refuse it with 403 and 401, their messages kept`, async () => {
        breaks[hook] = () => {
          throw new ForbiddenError('Your organisation is suspended.');
        };
        const forbidden = await sso.graphql(ME, { token: session });
        assert.equal(forbidden.status, 403);
        assert.deepEqual(
          forbidden.body.errors?.map((e) => [e.message, e.extensions?.code]),
          [['Your organisation is suspended.', 'FORBIDDEN']],
        );
        breaks[hook] = () => {
          throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
        };
        const unauthenticated = await sso.graphql(ME, { token: session });
        assert.equal(unauthenticated.status, 401);
        assert.deepEqual(
          unauthenticated.body.errors?.map((e) => [e.message, e.extensions?.code]),
          [['User inactive or deleted.', 'UNAUTHENTICATED']],
        );
        assert.equal(errorLines(unauthenticated).length, 0);
      });
    }

    it('authenticatePayload querying a table that does not exist', async () => {
      breaks.authenticatePayload = (em) => em!.getConnection().execute('select role from account_member');
      const response = await sso.graphql(ME, { token: session });
      assert.equal(response.status, 500);
      assertMasked(response, 'authenticatePayload');
      assertLogged(response, 'authenticatePayload', MISSING_TABLE, 'authentication failed unexpectedly');
    });

    it('authenticatePayload while the database is unreachable: 503 SERVICE_UNAVAILABLE', async () => {
      breaks.authenticatePayload = outage;
      const response = await sso.graphql(ME, { token: session });
      assert.equal(response.status, 503);
      assert.deepEqual(
        response.body.errors?.map((e) => [e.message, e.extensions?.code]),
        [[DATABASE_UNAVAILABLE_MESSAGE, 'SERVICE_UNAVAILABLE']],
      );
    });
  });

  describe('over REST, a failing hook is answered 500 {"detail": "A server error occurred."}', () => {
    const SERVER_ERROR = { detail: 'A server error occurred.' };
    const cases: [Hook, () => ReturnType<typeof post>, string][] = [
      ['createSessionPayload', () => post('/session/', { username: 'alice', password: 'alice-password' }), 'REST request failed'],
      ['encodeJwtToken', () => post('/session/', { username: 'alice', password: 'alice-password' }), 'REST request failed'],
      ['createAuthorizationPayload', () => post('/authorize/', {}, session), 'REST request failed'],
      // Refused by the context, which logs it; the view does not log it again.
      ['authenticatePayload', () => post('/authorize/', {}, session), 'authentication failed unexpectedly'],
      ['decodeJwtToken', () => post('/authorize/', {}, session), 'authentication failed unexpectedly'],
    ];
    for (const [hook, run, msg] of cases) {
      it(`${hook}: the cause is logged once, with the hook's name`, async () => {
        breaks[hook] = unexpected(hook);
        const response = await run();
        assert.equal(response.status, 500);
        assert.deepEqual(response.body, SERVER_ERROR);
        assertMasked(response, hook);
        assertLogged(response, hook, causeOf(hook), msg);
      });
    }

    it('a ForbiddenError of createAuthorizationPayload is 403, an AuthenticationError of authenticatePayload 401, in their words', async () => {
      breaks.createAuthorizationPayload = () => {
        throw new ForbiddenError('You are not a member of account 7.');
      };
      assert.deepEqual((await post('/authorize/', {}, session)).body, { detail: 'You are not a member of account 7.' });
      delete breaks.createAuthorizationPayload;
      breaks.authenticatePayload = () => {
        throw new AuthenticationError('USER_INACTIVE', 'User inactive or deleted.');
      };
      const refused = await post('/authorize/', {}, session);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, { detail: 'User inactive or deleted.' });
    });

    it('createAuthorizationPayload while the database is unreachable: 503', async () => {
      breaks.createAuthorizationPayload = outage;
      const response = await post('/authorize/', {}, session);
      assert.equal(response.status, 503);
      assert.deepEqual(response.body, { detail: DATABASE_UNAVAILABLE_MESSAGE });
    });
  });

  it('HookError is exported, an SsoError with code INTERNAL naming the hook and keeping the cause', () => {
    const cause = new Error('boom');
    const error = new HookError('createAuthorizationPayload', cause);
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.hook, 'createAuthorizationPayload');
    assert.equal(error.cause, cause);
    assert.equal(error.message, INTERNAL);
  });
});
