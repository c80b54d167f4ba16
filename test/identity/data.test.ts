import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionToken } from '../../src/identity/entities/session-token.js';
import { User } from '../../src/identity/entities/user.js';
import { InputError } from '../../src/errors.js';
import { payloadOf, startIdentity, type TestIdentity } from '../support/identity.js';

describe('identity data', () => {
  let sso: TestIdentity;

  before(async () => {
    sso = await startIdentity({}, { sessions: { lastUsedInterval: 60_000 } });
  });
  after(() => sso.close());

  it('the committed migrations create exactly what the entities describe', async () => {
    const diff = await sso.db.orm.schema.getUpdateSchemaSQL({ wrap: false });
    assert.equal(diff.trim(), '', `entities and migrations differ:\n${diff}`);
  });

  it('stores bcrypt hashes, never the password', async () => {
    const user = await sso.createUser('hash-check', 'plain-secret');
    const row = await sso.db.orm.em.fork().findOneOrFail(User, { id: user.id });
    assert.match(row.passwordHash, /^\$2[aby]\$04\$/);
    assert.ok(!row.passwordHash.includes('plain-secret'));
  });

  it('tells apart long passwords that share their first 72 bytes', async () => {
    const prefix = 'x'.repeat(72);
    await sso.createUser('long-password', `${prefix}-one`);
    assert.ok(await sso.login('long-password', `${prefix}-one`));
    await assert.rejects(sso.login('long-password', `${prefix}-two`), /Unable to log in/);
    await assert.rejects(sso.login('long-password', prefix), /Unable to log in/);
  });

  it('tells apart passwords that differ after a NUL character, where bcrypt would stop reading', async () => {
    await sso.createUser('nul-password', 'before\0after-one');
    assert.ok(await sso.login('nul-password', 'before\0after-one'));
    await assert.rejects(sso.login('nul-password', 'before\0after-two'), /Unable to log in/);
    await assert.rejects(sso.login('nul-password', 'before'), /Unable to log in/);
  });

  it('refuses empty passwords, bad usernames, bad emails and duplicate usernames', async () => {
    const users = sso.service.services.users;
    await assert.rejects(
      users.create({ username: 'empty', password: '' }),
      (e: unknown) => e instanceof InputError && /Password must not be empty/.test(e.message),
    );
    await assert.rejects(
      users.create({ username: 'has space', password: 'x' }),
      (e: unknown) => e instanceof InputError && /Username/.test(e.message),
    );
    await assert.rejects(users.create({ username: 'x'.repeat(151), password: 'x' }), InputError);
    await assert.rejects(users.create({ username: 'bad-email', email: 'not-an-email', password: 'x' }), /Email/);
    await users.create({ username: 'twice', password: 'x' });
    await assert.rejects(
      users.create({ username: 'twice', password: 'y' }),
      (e: unknown) => e instanceof InputError && e.code === 'CONFLICT',
    );
  });

  it('re-hashes a password made with another cost at the next login', async () => {
    const users = sso.service.services.users;
    const { UserService } = await import('../../src/identity/user-service.js');
    const costly = new UserService(sso.db.orm, { ...sso.service.services.settings, passwordHashRounds: 5 });
    const user = await costly.create({ username: 'rehash', password: 'secret' });
    const stored = async () => (await sso.db.orm.em.fork().findOneOrFail(User, { id: user.id })).passwordHash;
    const made = await stored();
    assert.match(made, /^\$2[aby]\$05\$/);
    await assert.rejects(users.verifyCredentials('rehash', 'wrong'), /Unable to log in/);
    assert.equal(await stored(), made, 'a failed login changes nothing');
    await users.verifyCredentials('rehash', 'secret');
    assert.match(await stored(), /^\$2[aby]\$04\$/);
    await users.verifyCredentials('rehash', 'secret');
  });

  it('writes last_used_at at most once per session per interval, however many requests', async () => {
    await sso.createUser('busy', 'busy-password');
    const token = await sso.login('busy', 'busy-password');
    const sid = payloadOf(token).sid as string;
    const em = () => sso.db.orm.em.fork();
    await em().nativeUpdate(SessionToken, { id: sid }, { lastUsedAt: new Date(Date.now() - 120_000) });
    const before = (await em().findOneOrFail(SessionToken, { id: sid })).lastUsedAt!;

    for (let i = 0; i < 5; i += 1) assert.equal((await sso.graphql('{ me { username } }', { token })).status, 200);
    const first = (await em().findOneOrFail(SessionToken, { id: sid })).lastUsedAt!;
    assert.ok(first > before, 'the first request after the interval records the use');

    for (let i = 0; i < 5; i += 1) await sso.graphql('{ me { username } }', { token });
    const later = (await em().findOneOrFail(SessionToken, { id: sid })).lastUsedAt!;
    assert.equal(later.getTime(), first.getTime(), 'requests within the interval write nothing');
  });
});
