import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { IdentityService } from '../../src/server/identity-service.js';
import { createTestLogger } from '../support/database.js';
import { LOGIN, startIdentity, type TestIdentity } from '../support/identity.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Logs in through `url` from `ip`; answers `OK` or the error's code. */
async function attempt(url: string, username: string, password: string, ip: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ query: LOGIN, variables: { username, password } }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code ?? 'OK';
}

describe('login throttle (Redis store, redisUrl)', () => {
  const prefix = `sso-test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const config = {
    redisUrl: REDIS_URL,
    trustProxy: true,
    loginThrottle: { usernameAttempts: 3, ipAttempts: 5, backoff: { base: 1, max: 60 }, window: 120 },
  };
  /** A clock that stands still, so that no back-off runs out while a test's requests are in flight. */
  const clock = Date.now();
  const throttleOptions = { redisKeyPrefix: prefix, now: () => clock };
  let sso: TestIdentity;
  let other: IdentityService;
  let otherUrl: string;

  before(async () => {
    await redis.connect();
    sso = await startIdentity(config, { loginThrottle: throttleOptions });
    other = await IdentityService.create({
      settings: sso.service.services.settings,
      orm: sso.db.orm,
      logger: createTestLogger(),
      loginThrottle: throttleOptions,
    });
    otherUrl = await other.listen(0, '127.0.0.1');
    await sso.createUser('rita', 'rita-password');
  });
  after(async () => {
    await other.close();
    await sso.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps its counts in Redis, not in PostgreSQL', async () => {
    assert.equal(await attempt(sso.url, 'rita', 'wrong', '192.0.2.1'), 'UNAUTHENTICATED');
    const rows = await sso.db.orm.em.fork().execute(`select count(*)::int as n from "login_throttle"`);
    assert.equal(rows[0]!.n, 0);
    assert.equal((await redis.keys(`${prefix}*`)).length, 3, 'one key for the username, one for the address, one for both');
  });

  it('two services share the counts: of 20 concurrent attempts through both, 3 are evaluated', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attempt(i % 2 === 0 ? sso.url : otherUrl, 'sam', 'wrong', '192.0.2.2')),
    );
    assert.equal(answers.filter((a) => a === 'UNAUTHENTICATED').length, 3);
    assert.equal(answers.filter((a) => a === 'TOO_MANY_REQUESTS').length, 17);
  });

  it('limits an address over many usernames', async () => {
    for (let i = 0; i < 5; i += 1) assert.equal(await attempt(otherUrl, `user-${i}`, 'wrong', '192.0.2.3'), 'UNAUTHENTICATED');
    assert.equal(await attempt(sso.url, 'user-5', 'wrong', '192.0.2.3'), 'TOO_MANY_REQUESTS');
    assert.equal(await attempt(sso.url, 'user-5', 'wrong', '192.0.2.4'), 'UNAUTHENTICATED');
  });

  it("entries expire a window after their last counted attempt; a success deletes the username's", async () => {
    await sso.createUser('tina', 'tina-password');
    assert.equal(await attempt(sso.url, 'tina', 'wrong', '192.0.2.5'), 'UNAUTHENTICATED');
    const [username, address] = [await redis.keys(`${prefix}username:*`), await redis.keys(`${prefix}ip:192.0.2.5`)];
    assert.equal(address.length, 1);
    const ttl = await redis.pttl(address[0]!);
    assert.ok(ttl > 0 && ttl <= 120_000, `expires within the window (${ttl} ms)`);
    const before = username.length;
    assert.equal(await attempt(otherUrl, 'tina', 'tina-password', '192.0.2.5'), 'OK');
    assert.equal((await redis.keys(`${prefix}username:*`)).length, before - 1);
    assert.equal(await redis.hget(address[0]!, 'f'), '1', 'the success took its attempt back');
  });
});

describe('login throttle with Redis unreachable', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({ redisUrl: 'redis://127.0.0.1:1' });
    await sso.createUser('uma', 'uma-password');
  });
  after(() => sso.close());

  it('refuses logins as unavailable (503 code) rather than letting them through unthrottled', async () => {
    assert.equal(await attempt(sso.url, 'uma', 'uma-password', '192.0.2.9'), 'SERVICE_UNAVAILABLE');
  });
});
