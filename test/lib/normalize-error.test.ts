import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import {
  AuthenticationError,
  ForbiddenError,
  HookError,
  InputError,
  JwtExpiredError,
  normalizeError,
  RequestError,
  ServiceUnavailableError,
  SsoError,
  TooManyRequestsError,
} from '../../src/index.js';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/lib/database-unavailable.js';

const INTERNAL = {
  status: 500,
  code: 'INTERNAL_SERVER_ERROR',
  message: 'Internal server error.',
  reason: 'INTERNAL',
  headers: {},
  internal: true,
};
const pick = ({ status, code, message, reason, headers, internal }: ReturnType<typeof normalizeError>) => ({
  status,
  code,
  message,
  reason,
  headers,
  internal,
});

describe('normalizeError: one decision for every answer', () => {
  it('maps each kind of SsoError to its status, code, message, reason and headers', () => {
    const cases: [unknown, Record<string, unknown>][] = [
      [
        new JwtExpiredError(),
        {
          status: 401,
          code: 'UNAUTHENTICATED',
          message: 'Token has expired.',
          reason: 'TOKEN_EXPIRED',
          headers: { 'www-authenticate': 'Bearer realm="api"' },
          internal: false,
        },
      ],
      [new ForbiddenError('No.'), { status: 403, code: 'FORBIDDEN', message: 'No.', reason: 'FORBIDDEN', headers: {}, internal: false }],
      [
        new InputError('Taken.', 'CONFLICT'),
        { status: 400, code: 'BAD_USER_INPUT', message: 'Taken.', reason: 'CONFLICT', headers: {}, internal: false },
      ],
      [
        new TooManyRequestsError(3),
        {
          status: 429,
          code: 'TOO_MANY_REQUESTS',
          message: 'Too many failed login attempts. Try again in 3 seconds.',
          reason: 'TOO_MANY_REQUESTS',
          headers: { 'retry-after': '3' },
          internal: false,
        },
      ],
      [
        new ServiceUnavailableError('Later.'),
        { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Later.', reason: 'SERVICE_UNAVAILABLE', headers: {}, internal: false },
      ],
      [
        new RequestError('REQUEST_TOO_LARGE', 'Too big.'),
        {
          status: 413,
          code: 'BAD_REQUEST',
          message: 'Too big.',
          reason: 'REQUEST_TOO_LARGE',
          headers: { connection: 'close' },
          internal: false,
        },
      ],
      [
        new RequestError('MEDIA_TYPE_UNSUPPORTED', 'CSV?'),
        { status: 415, code: 'BAD_REQUEST', message: 'CSV?', reason: 'MEDIA_TYPE_UNSUPPORTED', headers: {}, internal: false },
      ],
    ];
    for (const [error, expected] of cases)
      assert.deepEqual(pick(normalizeError(error, { scheme: 'Bearer' })), expected, (error as Error).name);
    assert.equal(normalizeError(new TooManyRequestsError(3)).retryAfter, 3);
  });

  it('masks server errors: a HookError, an SsoError that is no refusal, anything unexpected', () => {
    for (const error of [
      new HookError('createAuthorizationPayload', new Error('relation "x" does not exist')),
      new SsoError('PACKAGE_MISSING', 'ioredis is missing'),
      new Error('kaput'),
      'a string',
      null,
    ]) {
      assert.deepEqual(pick(normalizeError(error)), INTERNAL, String(error));
    }
  });

  it('classifies a database outage as 503, whatever wraps it', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    for (const error of [outage, new GraphQLError(outage.message, { originalError: outage })]) {
      const normalized = normalizeError(error);
      assert.deepEqual(
        [normalized.status, normalized.code, normalized.message],
        [503, 'SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE],
      );
    }
  });

  it('reads a GraphQL error through the SsoError it wraps, else by its code, without needing GraphQL', () => {
    const wrapped = new GraphQLError('outer', { originalError: new AuthenticationError('SESSION_REVOKED', 'Revoked.') });
    assert.deepEqual(
      [normalizeError(wrapped).code, normalizeError(wrapped).message, normalizeError(wrapped).error?.code],
      ['UNAUTHENTICATED', 'Revoked.', 'SESSION_REVOKED'],
    );
    const coded = new GraphQLError('Suspended.', { extensions: { code: 'FORBIDDEN' } });
    assert.deepEqual([normalizeError(coded).status, normalizeError(coded).message], [403, 'Suspended.']);
    assert.deepEqual(pick(normalizeError(new GraphQLError('Teapot.', { extensions: { code: 'TEAPOT' } }))), INTERNAL);
    assert.deepEqual(pick(normalizeError(new GraphQLError('secret', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }))), INTERNAL);
  });

  it('answers a library’s 4xx error (statusCode or status) BAD_REQUEST with that status', () => {
    const fastifyError = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    assert.deepEqual(pick(normalizeError(fastifyError)), {
      status: 415,
      code: 'BAD_REQUEST',
      message: 'Unsupported Media Type',
      reason: undefined,
      headers: {},
      internal: false,
    });
    assert.equal(normalizeError(Object.assign(new Error('request aborted'), { status: 400 })).status, 400);
    assert.deepEqual(pick(normalizeError(Object.assign(new Error('upstream'), { statusCode: 502 }))), INTERNAL);
  });
});
