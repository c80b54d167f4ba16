import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { resolveSettings } from '../../src/config/resolve.js';
import type { SessionToken } from '../../src/identity/entities/session-token.js';
import { SessionCache } from '../../src/identity/session-cache.js';
import { SessionService } from '../../src/identity/session-service.js';
import type { UserService } from '../../src/identity/user-service.js';
import type { TokenPayload } from '../../src/jwt/claims.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A database whose reads and writes fail as `fail` says (an outage, or a bug). */
function failingOrm(fail: { read?: () => Error; write?: () => Error }, session: SessionToken): MikroORM {
  const em = {
    findOne: async () => {
      if (fail.read) throw fail.read();
      return session;
    },
    nativeUpdate: async () => {
      if (fail.write) throw fail.write();
      return 1;
    },
  };
  return { em: { fork: () => em } } as unknown as MikroORM;
}

function setUp(fail: { read?: () => Error; write?: () => Error }, { live }: { live: boolean }) {
  const user = { id: randomUUID(), isActive: true };
  const session = { id: randomUUID(), user, revokedAt: null, createdAt: new Date(Date.now() - 3_600_000), lastUsedAt: null } as unknown as SessionToken;
  const cache = new SessionCache({ ttl: 60_000 });
  cache.setLive(true);
  cache.set(session, cache.generation());
  cache.setLive(live);
  const sessions = new SessionService(failingOrm(fail, session), resolveSettings(), {} as UserService, cache);
  const payload = { sid: session.id, uid: user.id } as unknown as TokenPayload;
  return { sessions, payload, user, cache, session };
}

describe('session checks while the database is unreachable', () => {
  it('a session this process checked stands while the database cannot be read, without recording its use', async () => {
    const { sessions, payload, user, cache, session } = setUp({ read: refused, write: () => new Error('no write expected') }, { live: false });
    assert.equal(cache.get(session.id), undefined, 'not live: the cache does not answer');
    assert.equal(await sessions.authenticate(payload, undefined), user);
  });

  it('a session this process did not check fails with the database error', async () => {
    const { sessions, payload, cache, session } = setUp({ read: refused }, { live: false });
    cache.evictSession(session.id);
    await assert.rejects(sessions.authenticate(payload, undefined), { code: 'ECONNREFUSED' });
  });

  it('a remembered session past its TTL is not used', async () => {
    let clock = Date.now();
    const { payload, session } = setUp({ read: refused }, { live: false });
    const cache = new SessionCache({ ttl: 60_000, now: () => clock });
    cache.setLive(true);
    cache.set(session, cache.generation());
    cache.setLive(false);
    clock += 60_000;
    const sessions = new SessionService(failingOrm({ read: refused }, session), resolveSettings(), {} as UserService, cache);
    await assert.rejects(sessions.authenticate(payload, undefined), { code: 'ECONNREFUSED' });
  });

  it('another failure of the read is not papered over by what the cache remembers', async () => {
    const { sessions, payload } = setUp({ read: () => new Error('relation "session_token" does not exist') }, { live: false });
    await assert.rejects(sessions.authenticate(payload, undefined), /does not exist/);
  });

  it('recording the last use is bookkeeping: an outage there does not refuse a checked session, a bug does', async () => {
    const ok = setUp({ write: refused }, { live: true });
    assert.equal(await ok.sessions.authenticate(ok.payload, undefined), ok.user);
    const bug = setUp({ write: () => new Error('column "last_used_at" does not exist') }, { live: true });
    await assert.rejects(bug.sessions.authenticate(bug.payload, undefined), /does not exist/);
  });

  it('going live again forgets what was remembered: notifications may have been missed', () => {
    const { cache, session } = setUp({}, { live: false });
    assert.equal(cache.getFallback(session.id), session);
    cache.setLive(true);
    assert.equal(cache.getFallback(session.id), undefined);
  });
});
