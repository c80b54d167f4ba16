import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { resolveSettings } from '../../src/config/resolve.js';
import type { SsoConfig } from '../../src/config/settings.js';
import { SettingsError } from '../../src/errors.js';
import type { ThrottleKind } from '../../src/identity/login-throttle.js';
import { LOGIN, startIdentity, type GraphQLResponse, type TestIdentity } from '../support/identity.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANGE_PASSWORD = 'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }';

/** `OK`, or the error's code. */
function outcome(response: GraphQLResponse): string {
  return response.body.data?.obtainSessionToken || response.body.data?.changePassword
    ? 'OK'
    : String(response.body.errors?.[0]?.extensions?.code);
}

const STORES: { name: string; config: SsoConfig }[] = [
  { name: 'PostgreSQL store', config: {} },
  { name: 'Redis store', config: { redisUrl: REDIS_URL } },
];

/**
 * The login throttle cannot be turned against the users it protects (issue 14, class 3): a
 * success resets only its own username's counts; a guesser's failures slow down the guesser's
 * address, not the user logging in from elsewhere; `changePassword` of a logged-in user never
 * waits for failures of others. Both stores behave alike.
 */
for (const store of STORES) {
  describe(`security: fair throttling (${store.name})`, () => {
    let sso: TestIdentity;
    let clock = Date.parse('2026-12-02T12:00:00Z');
    const tick = (seconds: number) => {
      clock += seconds * 1000;
    };
    const throttled: ThrottleKind[] = [];
    const prefix = `sso-test:${randomBytes(6).toString('hex')}:`;
    let address = 0;
    const nextAddress = () => `203.0.113.${(address += 1)}`;

    before(async () => {
      sso = await startIdentity(
        {
          ...store.config,
          trustProxy: true,
          loginThrottle: { usernameAttempts: 3, usernameTotalAttempts: 20, ipAttempts: 1000, backoff: { base: 1, max: 4 }, window: 60 },
        },
        { loginThrottle: { now: () => clock, onThrottled: (kind) => throttled.push(kind), redisKeyPrefix: prefix } },
      );
    });
    after(async () => {
      await sso.close();
      if (store.config.redisUrl) {
        const redis = new Redis(REDIS_URL);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    });

    const login = async (username: string, password: string, from: string) =>
      outcome(await sso.graphql(LOGIN, { variables: { username, password }, headers: { 'x-forwarded-for': from } }));

    it("a success never resets another account's count, whatever its letter case", async () => {
      await sso.createUser('Judy', 'Judy-password');
      await sso.createUser('judy', 'judy-password');
      await sso.createUser('kim', 'kim-password');
      const from = nextAddress();
      for (let i = 0; i < 3; i += 1) assert.equal(await login('Judy', 'wrong', from), 'UNAUTHENTICATED');
      assert.equal(await login('Judy', 'wrong', from), 'TOO_MANY_REQUESTS');
      assert.equal(await login('judy', 'judy-password', from), 'OK', 'another account, its name differing in case only');
      assert.equal(await login('kim', 'kim-password', from), 'OK');
      assert.equal(await login('Judy', 'Judy-password', from), 'TOO_MANY_REQUESTS', "Judy's count stands");
      tick(1);
      assert.equal(await login('Judy', 'Judy-password', from), 'OK', 'after the back-off');
    });

    it("a guesser's failures from one address, however long, never keep the user out from another", async () => {
      await sso.createUser('vic', 'vic-password');
      const attacker = nextAddress();
      const victim = nextAddress();
      // Ten minutes of guessing as fast as the throttle lets one address: ten windows.
      const answers: string[] = [];
      for (let second = 0; second < 600; second += 1) {
        answers.push(await login('vic', 'wrong', attacker));
        tick(1);
      }
      assert.ok(answers.filter((a) => a === 'TOO_MANY_REQUESTS').length > 400, 'the guesser is slowed down');
      assert.ok(!throttled.includes('username'), 'never reaching the bar of the username alone');
      assert.equal(await login('vic', 'vic-password', victim), 'OK', 'the user logs in from elsewhere at once');
      assert.equal(await login('vic', 'wrong', attacker), 'TOO_MANY_REQUESTS', 'the guesser still waits');
    });

    it('guesses spread over many addresses are throttled per username, at the higher bar', async () => {
      await sso.createUser('wes', 'wes-password');
      throttled.length = 0;
      const addresses = Array.from({ length: 21 }, nextAddress);
      for (const from of addresses.slice(0, 20)) assert.equal(await login('wes', 'wrong', from), 'UNAUTHENTICATED');
      assert.equal(await login('wes', 'wrong', addresses[20]!), 'TOO_MANY_REQUESTS', 'the 21st address waits');
      assert.deepEqual(throttled, ['username']);
      tick(1);
      assert.equal(await login('wes', 'wes-password', addresses[20]!), 'OK', 'a second later, the user is let through');
    });

    it("failed logins never block a logged-in user's changePassword, even from the user's own address", async () => {
      await sso.createUser('xia', 'xia-password');
      const home = nextAddress();
      const session = await sso.login('xia', 'xia-password', { headers: { 'x-forwarded-for': home } });
      for (const from of [nextAddress(), home]) {
        for (let i = 0; i < 5; i += 1) await login('xia', 'wrong', from);
        assert.equal(await login('xia', 'xia-password', from), 'TOO_MANY_REQUESTS');
      }
      const change = (current: string) =>
        sso.graphql(CHANGE_PASSWORD, {
          variables: { c: current, n: 'xia-new-password' },
          token: session,
          headers: { 'x-forwarded-for': home },
        });
      assert.equal(outcome(await change('xia-password')), 'OK');
    });

    it('guessing the current password with a stolen session token is throttled, per user', async () => {
      await sso.createUser('yan', 'yan-password');
      const session = await sso.login('yan', 'yan-password', { headers: { 'x-forwarded-for': nextAddress() } });
      const change = async (current: string) =>
        outcome(
          await sso.graphql(CHANGE_PASSWORD, {
            variables: { c: current, n: 'yan-new-password' },
            token: session,
            headers: { 'x-forwarded-for': nextAddress() },
          }),
        );
      for (let i = 0; i < 3; i += 1) assert.equal(await change('wrong'), 'UNAUTHENTICATED');
      assert.equal(await change('wrong'), 'TOO_MANY_REQUESTS', 'from any address');
      assert.equal(await login('yan', 'yan-password', nextAddress()), 'OK', 'logins are not affected');
    });
  });
}

describe('loginThrottle.usernameTotalAttempts setting', () => {
  const refused = (value: unknown, message: RegExp) =>
    assert.throws(
      () => resolveSettings({ loginThrottle: { usernameTotalAttempts: value as number } }),
      (error: unknown) =>
        error instanceof SettingsError && error.setting === 'loginThrottle.usernameTotalAttempts' && message.test(error.message),
      String(value),
    );

  it('refuses what is not a whole number of attempts', () => {
    for (const value of [0, -1, 2.5, '50']) refused(value, /must be a whole number of attempts \(1 or more; null for the default\)$/);
  });

  it('refuses a bar one address could reach alone within a window (17 with the defaults)', () => {
    refused(17, /must be more than the 17 failed attempts one address can make for one username within window/);
    assert.equal(resolveSettings({ loginThrottle: { usernameTotalAttempts: 18 } }).loginThrottle!.usernameTotalAttempts, 18);
    assert.throws(
      () => resolveSettings({ loginThrottle: { usernameAttempts: 100, usernameTotalAttempts: 100 } }),
      /must be more than the 112 failed attempts/,
    );
  });

  it('defaults to 10 × usernameAttempts, and at least twice what one address can make in a window', () => {
    assert.equal(resolveSettings().loginThrottle!.usernameTotalAttempts, 50);
    assert.equal(resolveSettings({ loginThrottle: { usernameAttempts: 100 } }).loginThrottle!.usernameTotalAttempts, 1000);
    assert.equal(resolveSettings({ loginThrottle: { backoff: { max: 60 } } }).loginThrottle!.usernameTotalAttempts, 139);
  });
});
