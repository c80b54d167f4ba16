import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DatabaseReadiness } from '../../src/server/lib/database-readiness.js';

function recordingLogger() {
  const lines: { level: number; msg: string; reason?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('DatabaseReadiness', () => {
  it('pings at most once per second, sharing one ping between concurrent probes', async () => {
    let clock = 0;
    let pings = 0;
    const readiness = new DatabaseReadiness({
      ping: async () => (pings += 1),
      timeout: 1000,
      logger: recordingLogger().logger,
      now: () => clock,
    });
    const answers = await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    assert.deepEqual(answers, [{ database: 'up' }, { database: 'up' }, { database: 'up' }]);
    assert.equal(pings, 1);
    clock = 999;
    await readiness.check();
    assert.equal(pings, 1, 'reused within the second');
    clock = 1000;
    await readiness.check();
    assert.equal(pings, 2);
  });

  it('reports the driver code of a failure, or a timeout, and logs each change once', async () => {
    let clock = 0;
    let fail: (() => Promise<unknown>) | null = null;
    const { logger, lines } = recordingLogger();
    const readiness = new DatabaseReadiness({ ping: () => (fail ? fail() : Promise.resolve()), timeout: 50, logger, now: () => clock });
    fail = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    assert.deepEqual(await readiness.check(), { database: 'down', reason: 'ECONNREFUSED' });
    clock += 1000;
    fail = () => new Promise(() => undefined);
    assert.deepEqual(await readiness.check(), { database: 'down', reason: 'timeout' });
    clock += 1000;
    fail = () => Promise.reject(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'));
    assert.deepEqual(await readiness.check(), { database: 'down', reason: 'timeout' });
    clock += 1000;
    fail = null;
    assert.deepEqual(await readiness.check(), { database: 'up' });
    assert.deepEqual(
      lines.map((line) => [line.level, line.reason]),
      [
        [40, 'ECONNREFUSED'],
        [30, undefined],
      ],
      'one warning when it goes down, one line when it is back',
    );
  });
});
