import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ctx, Query, Resolver } from 'type-graphql';
import { createRequestLog } from '../../src/index.js';
import type { IdentityContext } from '../../src/identity-exports.js';
import { captureLogs, type LogCapture, type LogLine } from '../support/logs.js';
import { startIdentity, type TestIdentity } from '../support/identity.js';

@Resolver()
class LoggingResolver {
  @Query(() => String)
  ping(@Ctx() { logger }: IdentityContext): string {
    logger.info({ pinged: true }, 'ping');
    return 'pong';
  }

  @Query(() => String, { nullable: true })
  broken(): string {
    throw new Error('kaput');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INFO = 30;
const DEBUG = 20;
const ERROR = 50;

describe('request ids and the access log', () => {
  let sso: TestIdentity;
  let logs: LogCapture;

  before(async () => {
    logs = captureLogs();
    sso = await startIdentity({}, { logger: logs.logger, resolvers: [LoggingResolver] });
  });
  after(() => sso.close());

  const linesOf = (requestId: string): LogLine[] => logs.lines().filter((line) => line.requestId === requestId);
  /** The access line is written when the response closes, which may be just after the client has it. */
  async function accessLine(requestId: string): Promise<LogLine> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const line = linesOf(requestId).find((l) => l.msg === 'request completed');
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`no access line for ${requestId}`);
  }

  it('generates an id when the request has none, echoes it and logs one access line with it', async () => {
    const res = await sso.graphql('{ ping }');
    assert.deepEqual(res.body, { data: { ping: 'pong' } });
    const id = res.headers.get('x-request-id')!;
    assert.match(id, UUID);
    const ping = linesOf(id).find((line) => line.msg === 'ping');
    assert.equal(ping?.pinged, true, 'ctx.logger carries the request id');
    const line = await accessLine(id);
    assert.equal(line.level, INFO);
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/graphql');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok((line.durationMs as number) >= 0);
    const other = await sso.graphql('{ ping }');
    assert.notEqual(other.headers.get('x-request-id'), id);
  });

  it('keeps a sane incoming X-Request-Id', async () => {
    for (const id of ['abc-123_x.y', 'A', 'x'.repeat(128), '0af7651916cd43dd8448eb211c80319c']) {
      const res = await sso.graphql('{ ping }', { headers: { 'x-request-id': id } });
      assert.equal(res.headers.get('x-request-id'), id);
      assert.ok(
        linesOf(id).some((line) => line.msg === 'ping'),
        id,
      );
      assert.equal((await accessLine(id)).status, 200);
    }
  });

  it('replaces an X-Request-Id that is not a short token, and never logs it', async () => {
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', 'quote"d', '<script>', 'a, b', 'tab\there', '']) {
      const res = await sso.graphql('{ ping }', { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id')!;
      assert.match(id, UUID, JSON.stringify(bad));
      assert.ok(linesOf(id).some((line) => line.msg === 'ping'));
      if (bad.length > 0) assert.ok(!logs.text().includes(JSON.stringify(bad).slice(1, -1)), `${JSON.stringify(bad)} is not logged`);
    }
  });

  it('gives every route an id; polled routes log at debug', async () => {
    const routes: [string, number, number][] = [
      ['/healthz', 200, DEBUG],
      ['/metrics', 200, DEBUG],
      ['/.well-known/jwks.json', 200, INFO],
      ['/nowhere', 404, INFO],
      ['/session/', 405, INFO],
    ];
    for (const [path, status, level] of routes) {
      const res = await fetch(`${sso.origin}${path}`);
      await res.arrayBuffer();
      assert.equal(res.status, status, path);
      const id = res.headers.get('x-request-id')!;
      assert.match(id, UUID, path);
      const line = await accessLine(id);
      assert.deepEqual([line.path, line.status, line.level, line.method], [path, status, level, 'GET']);
    }
  });

  it('logs the path without the query string, and no header', async () => {
    const query = encodeURIComponent('{ ping }');
    const res = await fetch(`${sso.origin}/graphql?query=${query}&variables=%7B%22password%22%3A%22in-the-url%22%7D`, {
      headers: { 'apollo-require-preflight': 'true', 'user-agent': 'agent-in-header', 'x-request-id': 'get-request' },
    });
    assert.equal(res.status, 200);
    const line = await accessLine('get-request');
    assert.equal(line.path, '/graphql');
    assert.equal(line.method, 'GET');
    assert.doesNotMatch(JSON.stringify(line), /query|variables/);
    assert.ok(!logs.text().includes('in-the-url'));
    assert.ok(!logs.text().includes('agent-in-header'));
  });

  it("logs a resolver's unexpected failure at error, with its stack and the request id", async () => {
    const res = await sso.graphql('{ broken }', { headers: { 'x-request-id': 'broken-1' } });
    assert.equal(res.body.data?.broken, null);
    const failure = linesOf('broken-1').find((line) => line.msg === 'GraphQL resolver failed');
    assert.equal(failure?.level, ERROR);
    assert.equal((failure?.err as { message?: string }).message, 'kaput');
    assert.match((failure?.err as { stack?: string }).stack ?? '', /LoggingResolver\.broken/);
    assert.deepEqual(failure?.path, ['broken']);
  });

  it('logs a client error at debug by its code, without its message', async () => {
    const res = await sso.graphql('mutation { obtainSessionToken(username: "nobody", password: "secret-literal") { token } }', {
      headers: { 'x-request-id': 'bad-login' },
    });
    assert.equal(res.body.errors?.[0]?.extensions?.reason, 'INVALID_CREDENTIALS');
    const line = linesOf('bad-login').find((l) => l.msg === 'GraphQL error');
    assert.equal(line?.level, DEBUG);
    assert.equal(line?.reason, 'INVALID_CREDENTIALS');
    assert.ok(!logs.text().includes('secret-literal'));
  });
});

describe('createRequestLog, for the access log of other services', () => {
  it('gives a plain node:http server the same ids, request logger and access line', async () => {
    const logs = captureLogs();
    const requestLog = createRequestLog(logs.logger, { quietPaths: ['/healthz'] });
    const server = createServer((req, res) => {
      requestLog(req, res);
      req.log.info({ served: true }, 'serving');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/things?secret=in-the-url`, {
        headers: { 'x-request-id': 'subgraph-1', authorization: 'JWT header-token' },
      });
      assert.equal(await res.text(), 'ok');
      assert.equal(res.headers.get('x-request-id'), 'subgraph-1');
      await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
      for (let attempt = 0; attempt < 100 && logs.lines().filter((l) => l.msg === 'request completed').length < 2; attempt++)
        await new Promise((r) => setTimeout(r, 10));
      const lines = logs.lines();
      assert.equal(lines.find((l) => l.msg === 'serving')?.requestId, 'subgraph-1');
      const [access, health] = lines.filter((l) => l.msg === 'request completed');
      assert.deepEqual(
        [access?.requestId, access?.method, access?.path, access?.status, access?.level, typeof access?.durationMs],
        ['subgraph-1', 'GET', '/things', 200, INFO, 'number'],
      );
      assert.deepEqual([health?.path, health?.level], ['/healthz', DEBUG]);
      assert.match(String(health?.requestId), UUID);
      assert.ok(!logs.text().includes('in-the-url') && !logs.text().includes('header-token'));
    } finally {
      server.close();
    }
  });
});
