import 'reflect-metadata';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcrypt';
import { resolveSettings } from '../../src/config/resolve.js';
import { openDatabase } from '../../src/db/index.js';
import { identityEntities } from '../../src/identity/entities/index.js';
import type { ThrottleKind } from '../../src/identity/login-throttle.js';
import { identityMigrations } from '../../src/identity/migrations/index.js';
import { IdentityService } from '../../src/server/identity-service.js';
import { createTestLogger } from '../support/database.js';
import { scrape } from '../support/metrics.js';
import { LOGIN, startIdentity, type GraphQLResponse, type TestIdentity } from '../support/identity.js';

/** The cost of this file's hashes: not the suite's usual 4, so that a cost fixed in code would show. */
const ROUNDS = 5;

/** Counts bcrypt comparisons (password evaluations) and the cost of each hash compared. */
function countComparisons() {
  const compare = mock.method(bcrypt, 'compare');
  return {
    get count() {
      return compare.mock.callCount();
    },
    costs: () => compare.mock.calls.map((call) => bcrypt.getRounds(call.arguments[1] as string)),
    restore: () => compare.mock.restore(),
  };
}

type Comparisons = ReturnType<typeof countComparisons>;

/** What a login answered: `OK`, or the error's code, message and retryAfter. */
function outcome(response: GraphQLResponse) {
  if (response.body.data?.obtainSessionToken) return 'OK';
  const error = response.body.errors?.[0];
  return { code: error?.extensions?.code, message: error?.message, retryAfter: error?.extensions?.retryAfter };
}

const refused = (retryAfter: number) => ({
  code: 'TOO_MANY_REQUESTS',
  message: `Too many failed login attempts. Try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
  retryAfter,
});
const WRONG = { code: 'UNAUTHENTICATED', message: 'Unable to log in with provided credentials.', retryAfter: undefined };

describe('login throttle (PostgreSQL store)', () => {
  let sso: TestIdentity;
  let clock = Date.parse('2026-11-30T12:00:00Z');
  let comparisons: Comparisons;
  const throttled: ThrottleKind[] = [];
  let address = 0;
  /** Each test logs in from addresses of its own (trustProxy), so per-address counts do not mix. */
  let ip: string;

  const login = (username: string, password: string, from = ip) =>
    sso.graphql(LOGIN, { variables: { username, password }, headers: { 'x-forwarded-for': from } });
  const tick = (seconds: number) => {
    clock += seconds * 1000;
  };

  before(async () => {
    sso = await startIdentity(
      {
        passwordHashRounds: ROUNDS,
        trustProxy: true,
        loginThrottle: { usernameAttempts: 3, ipAttempts: 1000, backoff: { base: 1, max: 4 }, window: 60 },
      },
      { loginThrottle: { now: () => clock, onThrottled: (kind) => throttled.push(kind) } },
    );
    await sso.createUser('carol', 'carol-password');
  });
  after(() => sso.close());
  beforeEach(() => {
    address += 1;
    ip = `203.0.113.${address}`;
    throttled.length = 0;
    comparisons = countComparisons();
  });
  afterEach(() => comparisons.restore());

  it('counts attempts before evaluating passwords: of 50 concurrent logins, 3 are evaluated', async () => {
    await sso.createUser('erin', 'erin-password');
    const responses = await Promise.all(Array.from({ length: 50 }, () => login('erin', 'wrong')));
    assert.equal(comparisons.count, 3);
    const outcomes = responses.map(outcome);
    assert.equal(outcomes.filter((o) => JSON.stringify(o) === JSON.stringify(WRONG)).length, 3);
    assert.deepEqual(
      outcomes.filter((o) => JSON.stringify(o) !== JSON.stringify(WRONG)),
      Array(47).fill(refused(1)),
    );
    assert.ok(
      responses.every((r) => r.status === 200),
      'a field error, not a refused request',
    );
    assert.deepEqual(throttled, Array(47).fill('username_ip'));
    const metrics = await scrape(sso.origin);
    assert.equal(metrics.value('sso_login_throttled_total', { kind: 'username_ip' }), 47);
    assert.equal(metrics.value('sso_logins_total', { outcome: 'throttled' }), 47);

    assert.deepEqual(outcome(await login('erin', 'erin-password')), refused(1), 'the right password waits too');
    assert.equal(comparisons.count, 3, 'a throttled attempt runs no bcrypt');
  });

  it('lets through as many concurrent right logins of one user as there are free attempts, round after round', async () => {
    await sso.createUser('ella', 'ella-password');
    for (let round = 0; round < 10; round += 1) {
      const responses = await Promise.all(Array.from({ length: 3 }, () => login('ella', 'ella-password')));
      assert.deepEqual(responses.map(outcome), ['OK', 'OK', 'OK'], 'each success forgets the count, even while others hold it');
    }
  });

  it('aliases in one request count one by one: GraphQL runs mutation fields in turn and stops at the first error', async () => {
    await sso.createUser('frank', 'frank-password');
    // As many aliases as limits.maxRootFields (20) lets through.
    const aliased = `mutation ($p: String!) { ${Array.from({ length: 20 }, (_, i) => `a${i}: obtainSessionToken(username: "frank", password: $p) { token }`).join(' ')} }`;
    const send = (p: string) => sso.graphql(aliased, { variables: { p }, headers: { 'x-forwarded-for': ip } });

    const first = await send('wrong');
    assert.equal(comparisons.count, 1);
    assert.equal(first.body.data, null);
    assert.deepEqual(
      first.body.errors?.map((e) => [e.path, e.extensions?.code]),
      [[['a0'], 'UNAUTHENTICATED']],
    );

    assert.deepEqual(outcome(await login('frank', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('frank', 'wrong')), WRONG);
    const throttledAliases = await send('frank-password');
    assert.equal(comparisons.count, 3, 'the fourth attempt, aliased or not, is not evaluated');
    assert.deepEqual(
      throttledAliases.body.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.retryAfter]),
      [[['a0'], 'TOO_MANY_REQUESTS', 1]],
    );

    tick(1);
    const allowed = await send('frank-password');
    assert.equal(Object.keys(allowed.body.data ?? {}).length, 20, 'the right password, once let through, logs every alias in');
  });

  it('each operation of a batched request is an attempt of its own: of 10, 3 are evaluated', async () => {
    await sso.createUser('gina', 'gina-password');
    const batch = Array.from({ length: 10 }, () => ({ query: LOGIN, variables: { username: 'gina', password: 'wrong' } }));
    const response = await fetch(sso.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(batch),
    });
    assert.equal(response.status, 200);
    const results = (await response.json()) as GraphQLResponse['body'][];
    assert.equal(results.length, 10);
    assert.equal(comparisons.count, 3);
    const outcomes = results.map((body) => outcome({ status: 200, body } as GraphQLResponse));
    assert.equal(outcomes.filter((o) => JSON.stringify(o) === JSON.stringify(WRONG)).length, 3);
    assert.deepEqual(
      outcomes.filter((o) => JSON.stringify(o) !== JSON.stringify(WRONG)),
      Array(7).fill(refused(1)),
    );
    assert.deepEqual(outcome(await login('gina', 'gina-password')), refused(1), 'the batch counted for the next request too');
  });

  it('past the free attempts, each one waits a back-off that doubles up to the maximum; a success resets it', async () => {
    await sso.createUser('hank', 'hank-password');
    for (let i = 0; i < 3; i += 1) assert.deepEqual(outcome(await login('hank', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(1));
    tick(0.5);
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(1), 'retryAfter is rounded up');
    tick(0.5);
    assert.deepEqual(outcome(await login('hank', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(2));
    tick(2);
    assert.deepEqual(outcome(await login('hank', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(4));
    tick(4);
    assert.deepEqual(outcome(await login('hank', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(4), 'backoff.max caps the wait');
    tick(4);
    assert.equal(outcome(await login('hank', 'hank-password')), 'OK');
    for (let i = 0; i < 3; i += 1) assert.deepEqual(outcome(await login('hank', 'wrong')), WRONG, 'the success forgot the failures');
    assert.deepEqual(outcome(await login('hank', 'wrong')), refused(1));
    assert.equal(comparisons.count, 3 + 1 + 1 + 1 + 1 + 3);
  });

  it('forgets a count the window (60 s) has not touched', async () => {
    for (let i = 0; i < 3; i += 1) await login('carol', 'wrong');
    assert.deepEqual(outcome(await login('carol', 'wrong')), refused(1));
    tick(59);
    assert.deepEqual(outcome(await login('carol', 'wrong')), WRONG, 'let through after the back-off, and counted');
    assert.deepEqual(outcome(await login('carol', 'wrong')), refused(2), 'the count goes on');
    tick(61);
    for (let i = 0; i < 3; i += 1) assert.deepEqual(outcome(await login('carol', 'wrong')), WRONG);
    assert.deepEqual(outcome(await login('carol', 'wrong')), refused(1));
  });

  it('treats unknown and known usernames alike: same answers, one bcrypt run each at the configured cost', async () => {
    await sso.createUser('ivan', 'ivan-password');
    const run = async (username: string) => {
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(outcome(await login(username, 'wrong')));
      tick(1);
      answers.push(outcome(await login(username, 'wrong')));
      return answers;
    };
    const known = await run('ivan');
    assert.equal(comparisons.count, 4);
    const unknown = await run('nobody-at-all');
    assert.deepEqual(unknown, known);
    assert.deepEqual(known, [WRONG, WRONG, WRONG, refused(1), refused(1), WRONG]);
    assert.equal(comparisons.count, 8);
    assert.deepEqual(comparisons.costs(), Array(8).fill(ROUNDS));
  });

  it('limits the attempts of one client address over many usernames; a success there takes its attempt back', async () => {
    const local = await startIdentity(
      {
        passwordHashRounds: ROUNDS,
        trustProxy: true,
        loginThrottle: { usernameAttempts: 100, usernameTotalAttempts: 1000, ipAttempts: 3 },
      },
      { loginThrottle: { now: () => clock, onThrottled: (kind) => throttled.push(kind) } },
    );
    try {
      await local.createUser('kate', 'kate-password');
      const from = (address: string, username: string, password = 'wrong') =>
        local.graphql(LOGIN, { variables: { username, password }, headers: { 'x-forwarded-for': address } }).then(outcome);
      assert.deepEqual(await from('198.51.100.1', 'user-1'), WRONG);
      assert.deepEqual(await from('198.51.100.1', 'user-2'), WRONG);
      assert.equal(await from('198.51.100.1', 'kate', 'kate-password'), 'OK');
      assert.deepEqual(await from('198.51.100.1', 'user-3'), WRONG, 'the success did not use up an attempt');
      assert.deepEqual(await from('198.51.100.1', 'user-4'), refused(1));
      assert.deepEqual(await from('198.51.100.1', 'kate', 'kate-password'), refused(1));
      assert.deepEqual(throttled, ['ip', 'ip']);
      assert.deepEqual(await from('198.51.100.2', 'user-4'), WRONG, 'another address has its own count');
    } finally {
      await local.close();
    }
  });

  it("POST /session/ answers a throttled login 429 with Retry-After, as DRF's Throttled", async () => {
    const post = () =>
      fetch(`${sso.origin}/session/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: 'lena', password: 'wrong' }),
      });
    for (let i = 0; i < 3; i += 1) assert.equal((await post()).status, 400);
    const response = await post();
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.deepEqual(await response.json(), { detail: 'Request was throttled. Expected available in 1 second.' });
    assert.deepEqual(outcome(await login('lena', 'wrong')), refused(1), 'REST and GraphQL share the count');
    assert.equal(comparisons.count, 3);
  });

  it('throttles the current password of changePassword, per user', async () => {
    await sso.createUser('mike', 'mike-password');
    const token = await sso.login('mike', 'mike-password', { headers: { 'x-forwarded-for': ip } });
    const change = (current: string) =>
      sso.graphql('mutation ($c: String!) { changePassword(currentPassword: $c, newPassword: "mike-new") { token } }', {
        variables: { c: current },
        token,
        headers: { 'x-forwarded-for': ip },
      });
    for (let i = 0; i < 3; i += 1) assert.equal((await change('wrong')).body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const response = await change('mike-password');
    assert.deepEqual(
      response.body.errors?.map((e) => [e.extensions?.code, e.extensions?.retryAfter]),
      [['TOO_MANY_REQUESTS', 1]],
    );
    tick(1);
    assert.ok((await change('mike-password')).body.data?.changePassword.token, 'allowed again after the back-off');
    assert.equal(outcome(await login('mike', 'mike-new')), 'OK');
  });

  it('shares the counts between services on one database (every process of the service)', async () => {
    const db = await openDatabase({
      url: sso.databaseUrl,
      dataDir: sso.keys.root,
      entities: identityEntities,
      migrations: identityMigrations,
      logger: createTestLogger(),
    });
    const other = await IdentityService.create({
      settings: sso.service.services.settings,
      orm: db.orm,
      logger: createTestLogger(),
      loginThrottle: { now: () => clock },
    });
    try {
      const otherUrl = await other.listen(0, '127.0.0.1');
      await sso.createUser('nina', 'nina-password');
      const via = (url: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          body: JSON.stringify({ query: LOGIN, variables: { username: 'nina', password: 'wrong' } }),
        }).then(async (r) => outcome({ status: r.status, headers: r.headers, body: await r.json() }));
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => via(i % 2 === 0 ? sso.url : otherUrl)));
      assert.equal(answers.filter((a) => JSON.stringify(a) === JSON.stringify(WRONG)).length, 3);
      assert.equal(comparisons.count, 3);
    } finally {
      await other.close();
      await db.close();
    }
  });

  it('keeps a digest of the username, never the name typed, and prunes what the window forgot', async () => {
    const rows = () => sso.db.orm.em.fork().execute<{ kind: string; key: string }[]>(`select "kind", "key" from "login_throttle"`);
    await login('my-secret-typed-as-name', 'wrong');
    const keys = (await rows()).map((r) => r.key);
    assert.ok(!keys.some((key) => key.includes('secret')));
    assert.ok(keys.includes(ip));
    const before = (await rows()).length;
    tick(61);
    await login('fresh-name', 'wrong', '198.51.100.200');
    assert.equal(await sso.service.services.loginThrottle!.prune(), before);
    assert.equal((await rows()).length, 3, "only the fresh attempt's counts remain: its username and address, each and together");
  });
});

describe('login throttle off (loginThrottle: null)', () => {
  let sso: TestIdentity;
  before(async () => {
    sso = await startIdentity({ loginThrottle: null });
  });
  after(() => sso.close());

  it('evaluates every attempt', async () => {
    assert.equal(sso.service.services.loginThrottle, null);
    const comparisons = countComparisons();
    try {
      for (let i = 0; i < 10; i += 1) {
        const response = await sso.graphql(LOGIN, { variables: { username: 'olga', password: 'wrong' } });
        assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      }
      assert.equal(comparisons.count, 10);
    } finally {
      comparisons.restore();
    }
  });
});

describe('login throttle defaults', () => {
  it('are on: 5 attempts per username and address, 50 per username, 100 per address, 1 s doubling to 15 min, forgotten after an hour', () => {
    assert.deepEqual(resolveSettings().loginThrottle, {
      usernameAttempts: 5,
      usernameTotalAttempts: 50,
      ipAttempts: 100,
      backoff: { base: 1, max: 900 },
      window: 3600,
    });
    assert.equal(resolveSettings().redisUrl, null);
  });
});
