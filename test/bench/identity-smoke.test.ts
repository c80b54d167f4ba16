import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseBench } from '../../bench/database.js';
import { issuanceBench } from '../../bench/issuance.js';
import type { BenchSection } from '../../bench/lib/types.js';
import { loginBench } from '../../bench/login.js';

function assertWellFormed(section: BenchSection, ratios: number) {
  assert.equal(section.ratios.length, ratios);
  for (const m of section.measurements) assert.ok(Number.isFinite(m.value) && m.value >= 0, `${m.name}: ${m.value}`);
  for (const r of section.ratios) assert.ok(Number.isFinite(r.value) && r.value > 0 && typeof r.met === 'boolean', `${r.name}: ${r.value}`);
}

// They run `graphql-sso serve` on the local PostgreSQL server (TEST_DATABASE_URL's, or 127.0.0.1:5432).
describe('identity-service bench sections, smoke runs', () => {
  it('issuance: obtainAuthorizationToken vs raw signing, RS256 and ES256, 1 vs 2 workers', async () => assertWellFormed(await issuanceBench({ smoke: true }), 3));
  it('login: obtainSessionToken vs raw bcrypt, me latency under logins', async () => assertWellFormed(await loginBench({ smoke: true }), 2));
  it('database: writes per request, mint latency with many session rows', async () => {
    const section = await databaseBench({ smoke: true });
    assertWellFormed(section, 2);
    assert.equal(section.ratios[0]!.met, true, 'at most one session write per minute');
  });
});
