import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBench } from '../../bench/memory.js';
import type { BenchSection } from '../../bench/lib/types.js';
import { verificationBench } from '../../bench/verification.js';

/** The sections run and report well-formed numbers; whether targets are met is the full bench's business. */
function assertWellFormed(section: BenchSection) {
  assert.ok(section.title.length > 0);
  assert.ok(section.measurements.length > 0);
  for (const m of section.measurements) {
    assert.ok(m.name.length > 0 && m.unit.length > 0, JSON.stringify(m));
    assert.ok(Number.isFinite(m.value) && m.value > 0, `${m.name}: ${m.value}`);
  }
  assert.ok(section.ratios.length > 0);
  for (const r of section.ratios) {
    assert.ok(r.name.length > 0 && r.target.length > 0, JSON.stringify(r));
    assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name}: ${r.value}`);
    assert.equal(typeof r.met, 'boolean');
  }
}

describe('bench sections, smoke runs', () => {
  it('verificationBench', async () => {
    const section = await verificationBench({ smoke: true });
    assertWellFormed(section);
    assert.ok(
      section.ratios.some((r) => r.target === '>= 10'),
      'the hot-path target is reported',
    );
  });

  it('memoryBench (in a child process)', async () => {
    const section = await memoryBench({ smoke: true });
    assertWellFormed(section);
    assert.match(section.notes!.join('\n'), /gc was exposed/);
  });
});
