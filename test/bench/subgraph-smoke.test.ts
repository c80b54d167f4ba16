import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { subgraphBench } from '../../bench/subgraph.js';

describe('subgraph bench, smoke run', () => {
  it('loads all four servers, which answered identically, and reports every ratio', async () => {
    // subgraphBench throws when a server answers differently or any request fails.
    const section = await subgraphBench({ smoke: true });
    assert.equal(section.measurements.length, 16);
    for (const m of section.measurements) assert.ok(Number.isFinite(m.value) && m.value > 0, `${m.name}: ${m.value}`);
    assert.deepEqual(
      section.ratios.map((r) => r.target),
      ['>= 0.85', '>= 1.0', '>= 1.0', '>= 0.85', '>= 1.0', '>= 1.0'],
    );
    for (const r of section.ratios) assert.ok(Number.isFinite(r.value) && r.value > 0, `${r.name}: ${r.value}`);
  });
});
