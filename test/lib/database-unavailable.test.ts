import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import pg from 'pg';
import { toGraphQLError } from '../../src/auth/graphql-errors.js';
import { databaseUnavailableError, isDatabaseUnavailable, DATABASE_UNAVAILABLE_MESSAGE } from '../../src/lib/database-unavailable.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { migrate, openDatabase } from '../../src/db/index.js';
import { identityEntities } from '../../src/identity/entities/index.js';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { createTestDatabase, createTestLogger } from '../support/database.js';

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('databaseUnavailableError: the one classification of database errors', () => {
  it('classifies a refused connection, as pg reports it, as SERVICE_UNAVAILABLE with a message that names no host', async () => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/postgres` });
    const refused = await client.connect().then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(refused, 'nothing listens there');
    const unavailable = databaseUnavailableError(refused);
    assert.ok(unavailable instanceof ServiceUnavailableError);
    assert.equal(unavailable.code, 'SERVICE_UNAVAILABLE');
    assert.equal(unavailable.message, DATABASE_UNAVAILABLE_MESSAGE);
    assert.equal(unavailable.cause, refused, 'the cause is kept for the logs');
    assert.doesNotMatch(unavailable.message, /127\.0\.0\.1|ECONNREFUSED/);
  });

  it(
    'classifies a connection the server terminates (57P01 admin shutdown) and the next query on it',
    { skip: !process.env.TEST_DATABASE_URL && 'needs a PostgreSQL server (TEST_DATABASE_URL)' },
    async () => {
      const db = await createTestDatabase();
      const victim = new pg.Client({ connectionString: db.url });
      const admin = new pg.Client({ connectionString: db.url });
      victim.on('error', () => undefined);
      try {
        await victim.connect();
        await admin.connect();
        const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
        const sleeping = victim.query('select pg_sleep(30)').then(
          () => null,
          (error: unknown) => error,
        );
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        const terminated = await sleeping;
        assert.equal((terminated as { code?: string }).code, '57P01');
        assert.equal(isDatabaseUnavailable(terminated), true);
        const next = await victim.query('select 1').then(
          () => null,
          (error: unknown) => error,
        );
        assert.ok(next, 'a lost connection is not queryable');
        assert.equal(isDatabaseUnavailable(next), true, String(next));
      } finally {
        await victim.end().catch(() => undefined);
        await admin.end();
        await db.close();
      }
    },
  );

  it(
    'bounds a statement by the timeout of openDatabase: cancelled by the server, it is classified too',
    { skip: !process.env.TEST_DATABASE_URL && 'needs a PostgreSQL server (TEST_DATABASE_URL)' },
    async () => {
      const testDb = await createTestDatabase();
      const db = await openDatabase({
        url: testDb.url,
        dataDir: tmpdir(),
        entities: identityEntities,
        migrations: identityMigrations,
        logger: createTestLogger(),
        timeout: 300,
      });
      try {
        assert.ok((await migrate(db)).length > 0, 'migrations are not bound by it');
        const slow = await db.orm.em
          .getConnection()
          .execute('select pg_sleep(3)')
          .then(
            () => null,
            (error: unknown) => error,
          );
        assert.equal((slow as { code?: string }).code, '57014');
        assert.equal(databaseUnavailableError(slow)?.code, 'SERVICE_UNAVAILABLE');
      } finally {
        await db.close();
        await testDb.close();
      }
    },
  );

  it('classifies what the driver, knex and the server say of a dead or busy database, also when wrapped', () => {
    const unavailable = [
      withCode('connect ECONNREFUSED 10.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('the database system is starting up', '57P03'),
      withCode('the database system is shutting down', '57P03'),
      withCode('terminating connection due to crash of another server process', '57P02'),
      withCode('sorry, too many clients already', '53300'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error(`select "u0".* from "users" as "u0" where "u0"."username" = 'ann' limit 1 - Connection terminated unexpectedly`),
      new Error('Connection terminated due to connection timeout'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'),
      new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'),
      new DriverException(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
      new DriverException(new Error('Knex: Timeout acquiring a connection. The pool is probably full.')),
      new Error('query failed', { cause: withCode('connect ETIMEDOUT', 'ETIMEDOUT') }),
      new AggregateError([
        withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'),
        withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      ]),
    ];
    for (const error of unavailable) assert.equal(databaseUnavailableError(error)?.code, 'SERVICE_UNAVAILABLE', error.message);
  });

  it('leaves every other error alone: a query at fault is not an outage', () => {
    const others: unknown[] = [
      new Error('boom'),
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('relation "x" does not exist', '42P01'),
      withCode('password authentication failed for user "sso"', '28P01'),
      new UniqueConstraintViolationException(withCode('duplicate key', '23505')),
      new Error('wrapped', { cause: new Error('Connection refused by policy') }),
      'ECONNREFUSED',
      null,
      undefined,
    ];
    for (const error of others) assert.equal(databaseUnavailableError(error), null, String(error));
  });

  it('returns a ServiceUnavailableError as it is', () => {
    const error = new ServiceUnavailableError('The signing keys cannot be fetched.');
    assert.equal(databaseUnavailableError(error), error);
  });

  it('reaches GraphQL as SERVICE_UNAVAILABLE with HTTP 503 when it refuses a whole request', () => {
    const error = toGraphQLError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), { refuseRequest: true });
    assert.ok(error instanceof GraphQLError);
    assert.equal(error.message, DATABASE_UNAVAILABLE_MESSAGE);
    assert.equal(error.extensions.code, 'SERVICE_UNAVAILABLE');
    assert.equal((error.extensions.http as { status: number }).status, 503);
    assert.equal(toGraphQLError(new Error('boom')).extensions.code, undefined, 'other errors keep Apollo’s handling');
  });
});
