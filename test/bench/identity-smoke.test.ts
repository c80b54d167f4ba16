import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseBench } from '../../bench/database.js';
import { identityBench } from '../../bench/identity.js';
import { issuanceBench } from '../../bench/issuance.js';
import type { BenchSection } from '../../bench/lib/types.js';
import { loginBench } from '../../bench/login.js';

/** Finite numbers and named ratios with a target; whether targets are met is the full run's business. */
function assertWellFormed(section: BenchSection, ratioNames: RegExp[]): void {
  assert.ok(section.title.length > 0);
  assert.ok(section.measurements.length > 0);
  for (const m of section.measurements) assert.ok(Number.isFinite(m.value) && m.value >= 0 && m.unit.length > 0, `${m.name}: ${m.value}`);
  for (const r of section.ratios) {
    assert.ok(Number.isFinite(r.value) && r.value >= 0 && typeof r.met === 'boolean' && r.target.length > 0, `${r.name}: ${r.value}`);
  }
  for (const name of ratioNames)
    assert.ok(
      section.ratios.some((r) => name.test(r.name)),
      `no ratio ${name}: ${section.ratios.map((r) => r.name).join(', ')}`,
    );
  assert.ok(
    section.notes?.some((note) => /^Database: (PostgreSQL|embedded PGlite)/.test(note)),
    'the section says which database',
  );
}

// They run `graphql-sso serve` on the local PostgreSQL server (TEST_DATABASE_URL's, or 127.0.0.1:5432), else on PGlite.
describe('identity-service bench sections, smoke runs', () => {
  it('identity service: me vs anonymous __typename and minting vs raw signing, on each database', async () => {
    const section = await identityBench({ smoke: true });
    const topologies = ['embedded (npm start)', ...(process.env.TEST_DATABASE_URL ? ['PostgreSQL', 'PostgreSQL through PgBouncer'] : [])];
    assertWellFormed(
      section,
      topologies.flatMap((name) => [
        new RegExp(`^${name.replace(/[()]/g, '\\$&')}: me / anonymous`),
        new RegExp(`^${name.replace(/[()]/g, '\\$&')}: obtainAuthorizationToken`),
      ]),
    );
    // Beside each rate ratio, the same on CPU, from the service's /proc times in the same rounds.
    if (existsSync('/proc/self/stat')) {
      for (const ratio of section.ratios) assert.match(ratio.note ?? '', /on (server )?CPU[^:]*\([^)]*\): \d+\.\d\d$/, ratio.name);
    }
  });
  it('issuance: obtainAuthorizationToken vs raw signing, RS256 and ES256, 1 vs 2 workers', async () => {
    const section = await issuanceBench({ smoke: true });
    const postgres = section.notes!.some((note) => note.startsWith('Database: PostgreSQL'));
    assertWellFormed(section, [/raw signing \(RS256\)/, ...(postgres ? [/--workers 2 \/ --workers 1/] : [])]);
    assert.ok(section.measurements.some((m) => /ES256/.test(m.name)));
  });
  it('login: obtainSessionToken vs raw bcrypt, me latency under logins', async () => {
    assertWellFormed(await loginBench({ smoke: true }), [/obtainSessionToken \/ raw bcrypt/, /me p99 latency/]);
  });
  it('database: writes per request, mint latency with many session rows, plans', async () => {
    const section = await databaseBench({ smoke: true });
    assertWellFormed(section, [/rows written per session/, /session rows \/ 1 row/, /planned with indexes/]);
    // Not a speed target but behaviour: one write of last_used_at, however many requests.
    assert.equal(section.ratios[0]!.met, true, section.measurements.map((m) => `${m.name}: ${m.value}`).join('\n'));
  });
});
